#include <iostream>

#include "myproject.h"
#include "parameters.h"


void myproject(
    hls::stream<input_t> &x,
    hls::stream<result_t> &layer8_out
) {

    // hls-fpga-machine-learning insert IO
    #pragma HLS INTERFACE axis port=x,layer8_out 
    #pragma HLS DATAFLOW

    // hls-fpga-machine-learning insert load weights
#ifndef __SYNTHESIS__
    static bool loaded_weights = false;
    if (!loaded_weights) {
        nnet::load_weights_from_txt<model_default_t, 108>(w2, "w2.txt");
        nnet::load_weights_from_txt<model_default_t, 4>(b2, "b2.txt");
        nnet::load_weights_from_txt<model_default_t, 8>(w4, "w4.txt");
        nnet::load_weights_from_txt<model_default_t, 2>(b4, "b4.txt");
        nnet::load_weights_from_txt<model_default_t, 162>(w6, "w6.txt");
        nnet::load_weights_from_txt<model_default_t, 3>(b6, "b6.txt");
        nnet::load_weights_from_txt<model_default_t, 324>(w8, "w8.txt");
        nnet::load_weights_from_txt<model_default_t, 3>(b8, "b8.txt");
        loaded_weights = true;    }
#endif
    // ****************************************
    // NETWORK INSTANTIATION
    // ****************************************

    // hls-fpga-machine-learning insert layers

    hls::stream<layer9_t> layer9_out("layer9_out");
    #pragma HLS STREAM variable=layer9_out depth=64

    hls::stream<layer12_t> layer12_out("layer12_out");
    #pragma HLS STREAM variable=layer12_out depth=100

    hls::stream<layer2_t> layer2_out("layer2_out");
    #pragma HLS STREAM variable=layer2_out depth=64

    hls::stream<layer3_t> layer3_out("layer3_out");
    #pragma HLS STREAM variable=layer3_out depth=64

    hls::stream<layer3_t> layer11_cpy1("layer11_cpy1");
    #pragma HLS STREAM variable=layer11_cpy1 depth=64

    hls::stream<layer3_t> layer11_cpy2("layer11_cpy2");
    #pragma HLS STREAM variable=layer11_cpy2 depth=64

    hls::stream<layer4_t> layer4_out("layer4_out");
    #pragma HLS STREAM variable=layer4_out depth=64

    hls::stream<layer5_t> layer5_out("layer5_out");
    #pragma HLS STREAM variable=layer5_out depth=64

    hls::stream<layer6_t> layer6_out("layer6_out");
    #pragma HLS STREAM variable=layer6_out depth=36

    hls::stream<layer10_t> layer10_out("layer10_out");
    #pragma HLS STREAM variable=layer10_out depth=18

    auto& layer7_out = layer10_out;
    nnet::transpose<input_t, layer9_t, config9>(x, layer9_out); // transpose_input_for_x

    nnet::zeropad2d_cl<layer9_t, layer12_t, config12>(layer9_out, layer12_out); // zp2d_conv1

    nnet::conv_2d_cl<layer12_t, layer2_t, config2>(layer12_out, layer2_out, w2, b2); // conv1

    nnet::relu<layer2_t, layer3_t, relu_config3>(layer2_out, layer3_out); // relu1

    nnet::clone_stream<layer3_t, layer3_t, 256>(layer3_out, layer11_cpy1, layer11_cpy2); // clone_relu1

    nnet::pointwise_conv_2d_cl<layer3_t, layer4_t, config13>(layer11_cpy1, layer4_out, w4, b4); // conv2

    nnet::concatenate3d<layer3_t, layer4_t, layer5_t, config5>(layer11_cpy2, layer4_out, layer5_out); // cat

    nnet::conv_2d_cl<layer5_t, layer6_t, config6>(layer5_out, layer6_out, w6, b6); // conv3

    nnet::transpose<layer6_t, layer10_t, config10>(layer6_out, layer10_out); // transpose_input_for_flatten

    nnet::dense<layer10_t, result_t, config8>(layer7_out, layer8_out, w8, b8); // fc

}

