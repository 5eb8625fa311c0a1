#include <iostream>

#include "myproject.h"
#include "parameters.h"


void myproject(
    hls::stream<input_t> &x,
    hls::stream<result_t> &layer10_out
) {

    // hls-fpga-machine-learning insert IO
    #pragma HLS INTERFACE axis port=x,layer10_out 
    #pragma HLS DATAFLOW

    // hls-fpga-machine-learning insert load weights
#ifndef __SYNTHESIS__
    static bool loaded_weights = false;
    if (!loaded_weights) {
        nnet::load_weights_from_txt<conv1_weight_t, 36>(w2, "w2.txt");
        nnet::load_weights_from_txt<bias2_t, 4>(b2, "b2.txt");
        nnet::load_weights_from_txt<bn1_scale_t, 4>(s4, "s4.txt");
        nnet::load_weights_from_txt<bn1_bias_t, 4>(b4, "b4.txt");
        nnet::load_weights_from_txt<fc1_weight_t, 256>(w7, "w7.txt");
        nnet::load_weights_from_txt<fc1_bias_t, 4>(b7, "b7.txt");
        nnet::load_weights_from_txt<fc2_weight_t, 12>(w10, "w10.txt");
        nnet::load_weights_from_txt<fc2_bias_t, 3>(b10, "b10.txt");
        loaded_weights = true;    }
#endif
    // ****************************************
    // NETWORK INSTANTIATION
    // ****************************************

    // hls-fpga-machine-learning insert layers

    hls::stream<layer11_t> layer11_out("layer11_out");
    #pragma HLS STREAM variable=layer11_out depth=100

    hls::stream<conv1_result_t> layer2_out("layer2_out");
    #pragma HLS STREAM variable=layer2_out depth=64

    hls::stream<layer3_t> layer3_out("layer3_out");
    #pragma HLS STREAM variable=layer3_out depth=16

    hls::stream<bn1_result_t> layer4_out("layer4_out");
    #pragma HLS STREAM variable=layer4_out depth=16

    hls::stream<layer5_t> layer5_out("layer5_out");
    #pragma HLS STREAM variable=layer5_out depth=16

    hls::stream<layer12_t> layer12_out("layer12_out");
    #pragma HLS STREAM variable=layer12_out depth=16

    auto& layer6_out = layer12_out;
    hls::stream<fc1_result_t> layer7_out("layer7_out");
    #pragma HLS STREAM variable=layer7_out depth=1

    hls::stream<layer9_t> layer9_out("layer9_out");
    #pragma HLS STREAM variable=layer9_out depth=1

    nnet::transpose<input_t, layer11_t, config11>(x, layer11_out); // transpose_input_for_x

    nnet::conv_2d_cl<layer11_t, conv1_result_t, config2>(layer11_out, layer2_out, w2, b2); // conv1

    nnet::pooling2d_cl<conv1_result_t, layer3_t, config3>(layer2_out, layer3_out); // pool1

    nnet::normalize<layer3_t, bn1_result_t, config4>(layer3_out, layer4_out, s4, b4); // bn1

    nnet::relu<bn1_result_t, layer5_t, relu_config5>(layer4_out, layer5_out); // relu1

    nnet::transpose<layer5_t, layer12_t, config12>(layer5_out, layer12_out); // transpose_input_for_flatten

    nnet::dense<layer12_t, fc1_result_t, config7>(layer6_out, layer7_out, w7, b7); // fc1

    nnet::relu<fc1_result_t, layer9_t, relu_config9>(layer7_out, layer9_out); // relu2

    nnet::dense<layer9_t, result_t, config10>(layer9_out, layer10_out, w10, b10); // fc2

}

