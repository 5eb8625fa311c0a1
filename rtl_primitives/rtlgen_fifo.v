// rtlgen primitive: synchronous first-word-fall-through FIFO.
// Conventions (all rtlgen primitives): rising-edge clk; synchronous, active-high rst clears control
// state only (data registers are never reset); plain Verilog-2005; one module per file.
//
// Holds up to DEPTH (>= 1) words of WIDTH bits. At a rising edge, push appends push_data and pop
// removes the oldest word (the head before that edge); both may be high in the same cycle, also
// when the FIFO is full, which then stays full. The caller never pops when empty and never pushes
// when full without popping in the same cycle. out_valid is high exactly when the FIFO is not
// empty; out_data is then the oldest word, read combinationally from storage (no extra latency: a
// word pushed into an empty FIFO is at out_data right after that edge). out_data is unspecified
// while out_valid is low. rst empties the FIFO (push and pop are ignored in a reset cycle).
//
// DEPTH <= 16: a shift register per bit (push shifts in at stage 0; the head is stage count-1,
// kept as an index) that Xilinx tools map to SRL16E (DEPTH = 1: a plain register). Larger DEPTH: a
// circular buffer read asynchronously at the read pointer (distributed RAM); the pointers wrap at
// DEPTH, which need not be a power of two.
module rtlgen_fifo #(
    parameter WIDTH = 8,
    parameter DEPTH = 2
) (
    input  wire             clk,
    input  wire             rst,
    input  wire             push,
    input  wire [WIDTH-1:0] push_data,
    input  wire             pop,
    output wire             out_valid,
    output wire [WIDTH-1:0] out_data
);
    // Index width: enough for 0 .. DEPTH-1 (at least one bit).
    localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam [31:0] LAST_INDEX = DEPTH - 1;
    localparam [AW-1:0] LAST = LAST_INDEX[AW-1:0];

    reg nonempty;
    assign out_valid = nonempty;
    genvar b;

    generate
        if (DEPTH == 1) begin : g_reg
            reg [WIDTH-1:0] word;

            always @(posedge clk) begin
                if (push) word <= push_data;
            end

            always @(posedge clk) begin
                if (rst) nonempty <= 1'b0;
                else if (push) nonempty <= 1'b1;
                else if (pop) nonempty <= 1'b0;
            end

            assign out_data = word;
        end else if (DEPTH <= 16) begin : g_srl
            reg [AW-1:0] head; // stage holding the oldest word (0 whenever empty)

            // One shift register per bit, read at a variable stage: the SRL16E template.
            for (b = 0; b < WIDTH; b = b + 1) begin : g_bit
                reg [DEPTH-1:0] stages;
                always @(posedge clk) begin
                    if (push) stages <= {stages[DEPTH-2:0], push_data[b]};
                end
                assign out_data[b] = stages[head];
            end

            // A push moves every word one stage up; a pop drops the head. Both: the head index
            // stays (the next-oldest word moves into the head's stage).
            always @(posedge clk) begin
                if (rst) begin
                    nonempty <= 1'b0;
                    head <= {AW{1'b0}};
                end else if (push && !pop) begin
                    if (nonempty) head <= head + 1'b1;
                    nonempty <= 1'b1;
                end else if (pop && !push) begin
                    if (head == {AW{1'b0}}) nonempty <= 1'b0;
                    else head <= head - 1'b1;
                end
            end
        end else begin : g_ram
            reg [WIDTH-1:0] mem [0:DEPTH-1];
            reg [AW-1:0] wr_ptr; // where the next push goes
            reg [AW-1:0] rd_ptr; // the oldest word
            wire [AW-1:0] wr_next = (wr_ptr == LAST) ? {AW{1'b0}} : wr_ptr + 1'b1;
            wire [AW-1:0] rd_next = (rd_ptr == LAST) ? {AW{1'b0}} : rd_ptr + 1'b1;

            always @(posedge clk) begin
                if (push) mem[wr_ptr] <= push_data;
            end

            // Equal pointers mean empty or full; nonempty tells which. A pop without a push
            // empties the FIFO when the read pointer catches up with the write pointer.
            always @(posedge clk) begin
                if (rst) begin
                    nonempty <= 1'b0;
                    wr_ptr <= {AW{1'b0}};
                    rd_ptr <= {AW{1'b0}};
                end else begin
                    if (push) wr_ptr <= wr_next;
                    if (pop) rd_ptr <= rd_next;
                    if (push) nonempty <= 1'b1;
                    else if (pop) nonempty <= (rd_next != wr_ptr);
                end
            end

            assign out_data = mem[rd_ptr];
        end
    endgenerate
endmodule
