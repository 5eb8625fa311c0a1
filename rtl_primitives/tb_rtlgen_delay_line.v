// Self-checking testbench for rtlgen_delay_line: drives one pseudo-random enable pattern (with
// long enabled and disabled runs) and random data, changing every cycle, through delay lines of
// depth 1, 2, 5, 31 and 32 (shift register) and 33, 64 and 100 (block RAM). After every enabled
// edge each line that has seen at least DEPTH enabled edges must show the word presented at the
// DEPTH-th most recent enabled edge; after every disabled edge every line must show what it showed
// before. Prints "PASS" or "FAIL: ..." and finishes.
`timescale 1ns/1ps
module tb_rtlgen_delay_line;
    localparam WIDTH = 16;
    localparam CYCLES = 3000;
    localparam N = 8;

    reg clk = 1'b0;
    reg en = 1'b0;
    reg [WIDTH-1:0] in_data = {WIDTH{1'b0}};
    wire [WIDTH-1:0] out [0:N-1];
    reg [WIDTH-1:0] previous [0:N-1];
    // Model: the word presented at every enabled edge, in order.
    reg [WIDTH-1:0] history [0:CYCLES-1];
    integer cycle, errors = 0, n_en = 0, k;
    reg [31:0] rng = 32'hc0ff_ee11;

    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(1))   d1   (.clk(clk), .en(en), .in_data(in_data), .out_data(out[0]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(2))   d2   (.clk(clk), .en(en), .in_data(in_data), .out_data(out[1]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(5))   d5   (.clk(clk), .en(en), .in_data(in_data), .out_data(out[2]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(31))  d31  (.clk(clk), .en(en), .in_data(in_data), .out_data(out[3]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(32))  d32  (.clk(clk), .en(en), .in_data(in_data), .out_data(out[4]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(33))  d33  (.clk(clk), .en(en), .in_data(in_data), .out_data(out[5]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(64))  d64  (.clk(clk), .en(en), .in_data(in_data), .out_data(out[6]));
    rtlgen_delay_line #(.WIDTH(WIDTH), .DEPTH(100)) d100 (.clk(clk), .en(en), .in_data(in_data), .out_data(out[7]));

    always #5 clk = ~clk;

    function integer depth_of(input integer index);
        begin
            case (index)
                0: depth_of = 1;
                1: depth_of = 2;
                2: depth_of = 5;
                3: depth_of = 31;
                4: depth_of = 32;
                5: depth_of = 33;
                6: depth_of = 64;
                default: depth_of = 100;
            endcase
        end
    endfunction

    task check(input integer index, input enabled);
        integer depth;
        begin
            depth = depth_of(index);
            if (!enabled) begin
                if (out[index] !== previous[index]) begin
                    errors = errors + 1;
                    $display("FAIL: depth %0d cycle %0d: out_data changed from %h to %h at a disabled edge",
                             depth, cycle, previous[index], out[index]);
                end
            end else if (n_en >= depth && out[index] !== history[n_en - depth]) begin
                errors = errors + 1;
                $display("FAIL: depth %0d cycle %0d: out_data=%h expected %h", depth, cycle,
                         out[index], history[n_en - depth]);
            end
        end
    endtask

    initial begin
        for (cycle = 0; cycle < CYCLES; cycle = cycle + 1) begin
            @(negedge clk);
            rng = rng ^ (rng << 13);
            rng = rng ^ (rng >> 17);
            rng = rng ^ (rng << 5);
            // Mostly enabled, with stretches where the enable is rare (stalls) and where it is
            // always on.
            case ((cycle / 150) % 3)
                0: en = rng[1:0] != 2'd0;
                1: en = rng[2:0] == 3'd0;
                default: en = 1'b1;
            endcase
            in_data = rng[31:32-WIDTH];
            for (k = 0; k < N; k = k + 1) previous[k] = out[k];
            @(posedge clk);
            if (en) begin
                history[n_en] = in_data;
                n_en = n_en + 1;
            end
            #1;
            for (k = 0; k < N; k = k + 1) check(k, en);
        end
        if (n_en < 2 * 100) begin
            errors = errors + 1;
            $display("FAIL: only %0d enabled edges", n_en);
        end
        if (errors == 0) $display("PASS");
        $finish;
    end
endmodule
