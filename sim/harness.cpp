// rtlgen co-simulation harness: a C ABI around one Verilated top module with the rtlgen port
// convention (clk, rst, in_valid, in_data, out_valid, out_data). Compiled at run time together
// with the Verilated model; RTLGEN_TOP names the Verilated class and RTLGEN_TOP_HEADER its header.
// Buses cross the ABI as arrays of 32-bit words, least significant word first.
#include <cstddef>
#include <cstdint>
#include "verilated.h"
#include RTLGEN_TOP_HEADER

namespace {

void set_port(CData& p, const uint32_t* w) { p = static_cast<CData>(w[0]); }
void set_port(SData& p, const uint32_t* w) { p = static_cast<SData>(w[0]); }
void set_port(IData& p, const uint32_t* w) { p = w[0]; }
void set_port(QData& p, const uint32_t* w) { p = static_cast<QData>(w[0]) | (static_cast<QData>(w[1]) << 32); }
template <std::size_t N> void set_port(VlWide<N>& p, const uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) p[i] = w[i];
}

void get_port(CData p, uint32_t* w) { w[0] = p; }
void get_port(SData p, uint32_t* w) { w[0] = p; }
void get_port(IData p, uint32_t* w) { w[0] = p; }
void get_port(QData p, uint32_t* w) {
    w[0] = static_cast<uint32_t>(p);
    w[1] = static_cast<uint32_t>(p >> 32);
}
template <std::size_t N> void get_port(const VlWide<N>& p, uint32_t* w) {
    for (std::size_t i = 0; i < N; ++i) w[i] = p[i];
}

struct Sim {
    VerilatedContext context;
    RTLGEN_TOP* top;
    Sim() : top(new RTLGEN_TOP{&context}) {}
    ~Sim() {
        top->final();
        delete top;
    }
};

}  // namespace

extern "C" {

void* rtlgen_sim_new() {
    Sim* sim = new Sim();
    sim->top->clk = 0;
    sim->top->rst = 1;
    sim->top->in_valid = 0;
    sim->top->eval();
    return sim;
}

void rtlgen_sim_free(void* handle) { delete static_cast<Sim*>(handle); }

#ifdef RTLGEN_STREAM
// One clock cycle of a stream design: apply the inputs while clk is low, report the handshake
// signals and out_data as they are before the rising edge (a beat moves at this edge when valid
// and ready are both high), raise and lower clk.
void rtlgen_sim_cycle_stream(void* handle, int rst, int in_valid, const uint32_t* in_words, int out_ready,
                             int* in_ready, int* out_valid, uint32_t* out_words) {
    Sim* sim = static_cast<Sim*>(handle);
    RTLGEN_TOP* top = sim->top;
    top->rst = rst ? 1 : 0;
    top->in_valid = in_valid ? 1 : 0;
    top->out_ready = out_ready ? 1 : 0;
    set_port(top->in_data, in_words);
    top->clk = 0;
    top->eval();
    *in_ready = top->in_ready;
    *out_valid = top->out_valid;
    get_port(top->out_data, out_words);
    top->clk = 1;
    top->eval();
    top->clk = 0;
    top->eval();
}
#else
// One clock cycle: apply the inputs while clk is low, raise clk (registers load), report the
// outputs after the edge, lower clk.
void rtlgen_sim_cycle(void* handle, int rst, int in_valid, const uint32_t* in_words, int* out_valid, uint32_t* out_words) {
    Sim* sim = static_cast<Sim*>(handle);
    RTLGEN_TOP* top = sim->top;
    top->rst = rst ? 1 : 0;
    top->in_valid = in_valid ? 1 : 0;
    set_port(top->in_data, in_words);
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
    *out_valid = top->out_valid;
    get_port(top->out_data, out_words);
    top->clk = 0;
    top->eval();
}
#endif

}
