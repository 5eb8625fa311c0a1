// rtlgen primitive: valid-bit delay line.
// Conventions (all rtlgen primitives): rising-edge clk; synchronous, active-high rst clears control
// state only (data registers are never reset); plain Verilog-2005; one module per file.
//
// out_valid is in_valid delayed by DEPTH clock cycles (DEPTH = 0: a wire). After rst the line
// holds zeros, so no stale valid appears.
module rtlgen_valid_pipe #(
    parameter DEPTH = 1
) (
    input  wire clk,
    input  wire rst,
    input  wire in_valid,
    output wire out_valid
);
    generate
        if (DEPTH == 0) begin : g_wire
            assign out_valid = in_valid;
            // clk and rst are unused when the line is empty.
            wire unused_ok = &{1'b0, clk, rst};
        end else if (DEPTH == 1) begin : g_one
            reg stage;
            always @(posedge clk) begin
                if (rst) stage <= 1'b0;
                else stage <= in_valid;
            end
            assign out_valid = stage;
        end else begin : g_line
            reg [DEPTH-1:0] stages;
            always @(posedge clk) begin
                if (rst) stages <= {DEPTH{1'b0}};
                else stages <= {stages[DEPTH-2:0], in_valid};
            end
            assign out_valid = stages[DEPTH-1];
        end
    endgenerate
endmodule
