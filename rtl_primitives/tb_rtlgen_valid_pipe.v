// Self-checking testbench for rtlgen_valid_pipe: drives a pseudo-random valid pattern through
// lines of depth 0, 1, 2 and 5 with a reset in the middle, and compares every output with a
// behavioural history of the input. Prints "PASS" or "FAIL: ..." and finishes.
`timescale 1ns/1ps
module tb_rtlgen_valid_pipe;
    reg clk = 1'b0;
    reg rst = 1'b1;
    reg in_valid = 1'b0;
    wire [3:0] out;
    reg [15:0] history = 16'h0;
    reg [15:0] lfsr = 16'hace1;
    integer cycle, errors = 0, since_reset = 0;

    rtlgen_valid_pipe #(.DEPTH(0)) d0 (.clk(clk), .rst(rst), .in_valid(in_valid), .out_valid(out[0]));
    rtlgen_valid_pipe #(.DEPTH(1)) d1 (.clk(clk), .rst(rst), .in_valid(in_valid), .out_valid(out[1]));
    rtlgen_valid_pipe #(.DEPTH(2)) d2 (.clk(clk), .rst(rst), .in_valid(in_valid), .out_valid(out[2]));
    rtlgen_valid_pipe #(.DEPTH(5)) d5 (.clk(clk), .rst(rst), .in_valid(in_valid), .out_valid(out[3]));

    always #5 clk = ~clk;

    task check(input integer depth, input actual);
        reg expected;
        begin
            expected = (depth == 0) ? in_valid : (since_reset >= depth ? history[depth-1] : 1'b0);
            if (actual !== expected) begin
                errors = errors + 1;
                $display("FAIL: depth %0d cycle %0d: out_valid=%b expected %b", depth, cycle, actual, expected);
            end
        end
    endtask

    initial begin
        for (cycle = 0; cycle < 200; cycle = cycle + 1) begin
            @(negedge clk);
            check(0, out[0]);
            check(1, out[1]);
            check(2, out[2]);
            check(5, out[3]);
            lfsr = {lfsr[14:0], lfsr[15] ^ lfsr[13] ^ lfsr[12] ^ lfsr[10]};
            rst = (cycle < 2) || (cycle >= 100 && cycle < 103);
            in_valid = lfsr[0];
            @(posedge clk);
            #1;
            if (rst) begin
                since_reset = 0;
                history = 16'h0;
            end else begin
                since_reset = since_reset + 1;
                history = {history[14:0], in_valid};
            end
        end
        if (errors == 0) $display("PASS");
        $finish;
    end
endmodule
