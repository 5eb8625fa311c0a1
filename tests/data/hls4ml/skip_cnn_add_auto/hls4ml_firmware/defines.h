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
typedef nnet::array<ap_fixed<16,6>, 3*1> layer10_t;
typedef nnet::array<ap_fixed<16,6>, 3*1> layer13_t;
typedef ap_fixed<16,6> model_default_t;
typedef nnet::array<ap_fixed<38,18>, 4*1> conv1_result_t;
typedef ap_fixed<16,6> conv1_weight_t;
typedef ap_fixed<16,6> conv1_bias_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer3_t;
typedef ap_fixed<18,8> relu1_table_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer14_t;
typedef nnet::array<ap_fixed<39,19>, 4*1> conv2_result_t;
typedef ap_fixed<16,6> conv2_weight_t;
typedef ap_fixed<16,6> conv2_bias_t;
typedef nnet::array<ap_fixed<40,20>, 4*1> add_result_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer6_t;
typedef ap_fixed<18,8> relu2_table_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer7_t;
typedef nnet::array<ap_fixed<16,6>, 4*1> layer11_t;
typedef nnet::array<ap_fixed<39,19>, 3*1> result_t;
typedef ap_fixed<16,6> fc_weight_t;
typedef ap_fixed<16,6> fc_bias_t;
typedef ap_uint<1> layer9_index;

// hls-fpga-machine-learning insert emulator-defines


#endif
