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
typedef ap_fixed<12,5> input_t;
typedef ap_fixed<16,6> model_default_t;
typedef ap_fixed<10,4,AP_RND,AP_SAT,0> layer2_t;
typedef ap_fixed<16,6> fc1_weight_t;
typedef ap_fixed<16,6> fc1_bias_t;
typedef ap_uint<1> layer2_index;
typedef ap_fixed<16,6> layer3_t;
typedef ap_fixed<18,8> relu1_table_t;
typedef ap_fixed<10,4,AP_RND,AP_SAT,0> layer4_t;
typedef ap_fixed<16,6> fc2_weight_t;
typedef ap_fixed<16,6> fc2_bias_t;
typedef ap_uint<1> layer4_index;
typedef ap_fixed<8,3,AP_RND,AP_SAT,0> layer5_t;
typedef ap_fixed<16,6> layer6_t;
typedef ap_fixed<18,8> relu2_table_t;
typedef ap_fixed<37,17> result_t;
typedef ap_fixed<16,6> fc3_weight_t;
typedef ap_fixed<16,6> fc3_bias_t;
typedef ap_uint<1> layer7_index;

// hls-fpga-machine-learning insert emulator-defines


#endif
