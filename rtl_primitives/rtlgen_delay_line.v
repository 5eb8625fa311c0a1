// rtlgen primitive: enable-driven delay line (line buffers).
// Conventions (all rtlgen primitives): rising-edge clk; synchronous, active-high rst clears control
// state only (data registers are never reset); plain Verilog-2005; one module per file.
//
// Stores the last DEPTH (>= 1) words presented at in_data at rising edges with en high. Once at
// least DEPTH enabled edges have passed, out_data is the word presented at the DEPTH-th most recent
// enabled edge: the oldest stored word, which the next enabled edge evicts. out_data changes only
// at enabled edges; before DEPTH enabled edges it is unspecified. There is no reset (data only).
//
// DEPTH <= 2: registers advancing on en. Larger DEPTH: a DEPTH-word memory
// written at a wrapping pointer, with a registered read that prefetches the next oldest word (at
// the pointer's successor, never the write address), so it fits simple-dual-port block RAM (the
// tool may pick distributed RAM for small sizes: Yosys does up to about 128 x 16). Shift registers
// are not used beyond 2 words: Yosys 0.23 maps enabled shift registers to SRLs with the enable
// tied high (YosysHQ/yosys#6058), which would shift on every clock.
// The pointer is the only control state; without a reset port it starts at 0 from its initial
// (FPGA power-up) value.
module rtlgen_delay_line #(
    parameter WIDTH = 8,
    parameter DEPTH = 1
) (
    input  wire             clk,
    input  wire             en,
    input  wire [WIDTH-1:0] in_data,
    output wire [WIDTH-1:0] out_data
);
    generate
        if (DEPTH <= 2) begin : g_regs
            reg [WIDTH-1:0] stages [0:DEPTH-1];
            integer i;

            always @(posedge clk) begin
                if (en) begin
                    stages[0] <= in_data;
                    for (i = 1; i < DEPTH; i = i + 1) stages[i] <= stages[i-1];
                end
            end

            assign out_data = stages[DEPTH-1];
        end else begin : g_ram
            localparam AW = $clog2(DEPTH);
            localparam [31:0] LAST_INDEX = DEPTH - 1;
            localparam [AW-1:0] LAST = LAST_INDEX[AW-1:0];
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [WIDTH-1:0] out_q;
            // The slot written at the next enabled edge: it holds the oldest word (== out_q).
            reg [AW-1:0] ptr = {AW{1'b0}};
            wire [AW-1:0] ptr_next = (ptr == LAST) ? {AW{1'b0}} : ptr + 1'b1;

            // The slot after ptr holds the next oldest word, which becomes out_data as the
            // oldest is overwritten.
            always @(posedge clk) begin
                if (en) begin
                    mem[ptr] <= in_data;
                    out_q <= mem[ptr_next];
                    ptr <= ptr_next;
                end
            end

            assign out_data = out_q;
        end
    endgenerate
endmodule
