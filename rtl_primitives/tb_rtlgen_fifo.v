// Self-checking testbench for rtlgen_fifo: FIFOs of depth 1, 2, 3, 5 and 16 (shift register) and
// 17, 24, 32 and 100 (circular buffer) each get their own pseudo-random push/pop stream that
// respects the contract (no pop when empty, no push when full without a pop), in phases that fill
// them up, keep them busy and drain them, with a reset in the middle. After every edge each FIFO
// is compared with a behavioural model: out_valid against the occupancy, out_data against the
// oldest word pushed and not yet popped. Every FIFO must also have been full with push and pop
// together, and been pushed while empty. Prints "PASS" or "FAIL: ..." and finishes.
`timescale 1ns/1ps
module tb_rtlgen_fifo;
    localparam WIDTH = 12;
    localparam CYCLES = 6000;
    localparam N = 9;

    reg clk = 1'b0;
    reg rst = 1'b1;
    integer cycle = 0;
    reg done = 1'b0;

    always #5 clk = ~clk;

    genvar k;
    generate
        for (k = 0; k < N; k = k + 1) begin : g
            localparam DEPTH = (k == 0) ? 1 : (k == 1) ? 2 : (k == 2) ? 3 : (k == 3) ? 5 :
                               (k == 4) ? 16 : (k == 5) ? 17 : (k == 6) ? 24 : (k == 7) ? 32 : 100;
            reg push = 1'b0;
            reg pop = 1'b0;
            reg [WIDTH-1:0] push_data = {WIDTH{1'b0}};
            wire out_valid;
            wire [WIDTH-1:0] out_data;

            rtlgen_fifo #(.WIDTH(WIDTH), .DEPTH(DEPTH)) dut (
                .clk(clk), .rst(rst), .push(push), .push_data(push_data), .pop(pop),
                .out_valid(out_valid), .out_data(out_data)
            );

            // Model: every word pushed since the start, in order; words n_pop .. n_push-1 are in
            // the FIFO.
            reg [WIDTH-1:0] pushed [0:CYCLES+1];
            integer n_push = 0, n_pop = 0, errors = 0, full_push_pop = 0, empty_push = 0;
            integer edges = 0;
            reg [31:0] rng = 32'h1234_5678 + 32'h9e37_79b9 * k;
            reg want_push, want_pop;
            integer phase;
            reg known = 1'b0; // the FIFO has been reset

            // Outputs are settled at the falling edge: check them, then choose the next inputs.
            always @(negedge clk) begin
                if (known && !done) begin
                    if (out_valid !== (n_push != n_pop)) begin
                        errors = errors + 1;
                        $display("FAIL: depth %0d edge %0d: out_valid=%b with %0d words", DEPTH,
                                 edges, out_valid, n_push - n_pop);
                    end
                    if (n_push != n_pop && out_data !== pushed[n_pop]) begin
                        errors = errors + 1;
                        $display("FAIL: depth %0d edge %0d: out_data=%h expected %h", DEPTH,
                                 edges, out_data, pushed[n_pop]);
                    end
                end
                if (!done) begin
                    rng = rng ^ (rng << 13);
                    rng = rng ^ (rng >> 17);
                    rng = rng ^ (rng << 5);
                    // Phases of 4 * DEPTH + 40 cycles: mostly push, balanced, mostly pop.
                    phase = (edges / (4 * DEPTH + 40)) % 3;
                    want_push = (phase == 0) ? (rng[2:0] != 3'd0) :
                                (phase == 1) ? rng[0] : (rng[2:0] == 3'd0);
                    want_pop = (phase == 0) ? (rng[5:3] == 3'd0) :
                               (phase == 1) ? rng[3] : (rng[5:3] != 3'd0);
                    pop = want_pop && (n_push != n_pop);
                    push = want_push && ((n_push - n_pop < DEPTH) || pop);
                    push_data = rng[31:32-WIDTH];
                end
            end

            always @(posedge clk) begin
                edges = edges + 1;
                if (rst) begin
                    known = 1'b1;
                    n_pop = n_push;
                end else begin
                    if (push && pop && n_push - n_pop == DEPTH) full_push_pop = full_push_pop + 1;
                    if (push && n_push == n_pop) empty_push = empty_push + 1;
                    if (pop) n_pop = n_pop + 1;
                    if (push) begin
                        pushed[n_push] = push_data;
                        n_push = n_push + 1;
                    end
                end
            end
        end
    endgenerate

    // Errors of FIFO k, with a coverage failure counting as one.
    function integer coverage_errors(input integer depth, input integer full_push_pop,
                                     input integer empty_push);
        begin
            coverage_errors = 0;
            if (full_push_pop == 0 || empty_push == 0) begin
                coverage_errors = 1;
                $display("FAIL: depth %0d: not covered (full push+pop %0d, push into empty %0d)",
                         depth, full_push_pop, empty_push);
            end
        end
    endfunction

    integer errors;
    initial begin
        for (cycle = 0; cycle < CYCLES; cycle = cycle + 1) begin
            @(negedge clk);
            rst = (cycle < 2) || (cycle >= 3000 && cycle < 3003);
        end
        @(negedge clk);
        done = 1'b1;
        errors = g[0].errors + g[1].errors + g[2].errors + g[3].errors + g[4].errors
               + g[5].errors + g[6].errors + g[7].errors + g[8].errors
               + coverage_errors(1, g[0].full_push_pop, g[0].empty_push)
               + coverage_errors(2, g[1].full_push_pop, g[1].empty_push)
               + coverage_errors(3, g[2].full_push_pop, g[2].empty_push)
               + coverage_errors(5, g[3].full_push_pop, g[3].empty_push)
               + coverage_errors(16, g[4].full_push_pop, g[4].empty_push)
               + coverage_errors(17, g[5].full_push_pop, g[5].empty_push)
               + coverage_errors(24, g[6].full_push_pop, g[6].empty_push)
               + coverage_errors(32, g[7].full_push_pop, g[7].empty_push)
               + coverage_errors(100, g[8].full_push_pop, g[8].empty_push);
        if (errors == 0) $display("PASS");
        $finish;
    end
endmodule
