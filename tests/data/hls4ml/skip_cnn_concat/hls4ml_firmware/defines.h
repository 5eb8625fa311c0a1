#ifndef DEFINES_H_
#define DEFINES_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "nnet_utils/nnet_types.h"
#include <array>
#include <cstddef>
#include <cstdio>
#include <tuple>
#include <tuple>


// hls-fpga-machine-learning insert numbers

// hls-fpga-machine-learning insert layer-precision
typedef nnet::array<ap_fixed<16,6>, 8*1> input_t;
typedef nnet::array<ap_fixed<16,6>, 3*1> layer9_t;
typedef nnet::array<ap_fixed<16,6>, 3*1> layer12_t;
typedef ap_fixed<16,6> model_default_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer2_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer3_t;
typedef ap_fixed<18,8> relu1_table_t;
typedef nnet::array<ap_fixed<16,6>, 2*1> layer4_t;
typedef nnet::array<ap_fixed<16,6>, 6*1> layer5_t;
typedef nnet::array<ap_fixed<16,6>, 3*1> layer6_t;
typedef nnet::array<ap_fixed<16,6>, 6*1> layer10_t;
typedef nnet::array<ap_fixed<16,6>, 3*1> result_t;
typedef ap_uint<1> layer8_index;

// hls-fpga-machine-learning insert emulator-defines


#endif
