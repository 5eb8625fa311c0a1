#include <iostream>

#include "myproject.h"
#include "parameters.h"


void myproject(
    hls::stream<input_t> &x,
    hls::stream<result_t> &layer9_out
) {

    // hls-fpga-machine-learning insert IO
    #pragma HLS INTERFACE axis port=x,layer9_out 
    #pragma HLS DATAFLOW

    // hls-fpga-machine-learning insert load weights
#ifndef __SYNTHESIS__
    static bool loaded_weights = false;
    if (!loaded_weights) {
        nnet::load_weights_from_txt<model_default_t, 108>(w2, "w2.txt");
        nnet::load_weights_from_txt<model_default_t, 4>(b2, "b2.txt");
        nnet::load_weights_from_txt<model_default_t, 144>(w4, "w4.txt");
        nnet::load_weights_from_txt<model_default_t, 4>(b4, "b4.txt");
        nnet::load_weights_from_txt<model_default_t, 192>(w9, "w9.txt");
        nnet::load_weights_from_txt<model_default_t, 3>(b9, "b9.txt");
        loaded_weights = true;    }
#endif
    // ****************************************
    // NETWORK INSTANTIATION
    // ****************************************

    // hls-fpga-machine-learning insert layers

    hls::stream<layer10_t> layer10_out("layer10_out");
    #pragma HLS STREAM variable=layer10_out depth=64

    hls::stream<layer13_t> layer13_out("layer13_out");
    #pragma HLS STREAM variable=layer13_out depth=100

    hls::stream<layer2_t> layer2_out("layer2_out");
    #pragma HLS STREAM variable=layer2_out depth=64

    hls::stream<layer3_t> layer3_out("layer3_out");
    #pragma HLS STREAM variable=layer3_out depth=64

    hls::stream<layer3_t> layer12_cpy1("layer12_cpy1");
    #pragma HLS STREAM variable=layer12_cpy1 depth=64

    hls::stream<layer3_t> layer12_cpy2("layer12_cpy2");
    #pragma HLS STREAM variable=layer12_cpy2 depth=64

    hls::stream<layer14_t> layer14_out("layer14_out");
    #pragma HLS STREAM variable=layer14_out depth=100

    hls::stream<layer4_t> layer4_out("layer4_out");
    #pragma HLS STREAM variable=layer4_out depth=64

    hls::stream<layer5_t> layer5_out("layer5_out");
    #pragma HLS STREAM variable=layer5_out depth=64

    hls::stream<layer6_t> layer6_out("layer6_out");
    #pragma HLS STREAM variable=layer6_out depth=64

    hls::stream<layer7_t> layer7_out("layer7_out");
    #pragma HLS STREAM variable=layer7_out depth=16

    hls::stream<layer11_t> layer11_out("layer11_out");
    #pragma HLS STREAM variable=layer11_out depth=16

    auto& layer8_out = layer11_out;
    nnet::transpose<input_t, layer10_t, config10>(x, layer10_out); // transpose_input_for_x

    nnet::zeropad2d_cl<layer10_t, layer13_t, config13>(layer10_out, layer13_out); // zp2d_conv1

    nnet::conv_2d_cl<layer13_t, layer2_t, config2>(layer13_out, layer2_out, w2, b2); // conv1

    nnet::relu<layer2_t, layer3_t, relu_config3>(layer2_out, layer3_out); // relu1

    nnet::clone_stream<layer3_t, layer3_t, 256>(layer3_out, layer12_cpy1, layer12_cpy2); // clone_relu1

    nnet::zeropad2d_cl<layer3_t, layer14_t, config14>(layer12_cpy1, layer14_out); // zp2d_conv2

    nnet::conv_2d_cl<layer14_t, layer4_t, config4>(layer14_out, layer4_out, w4, b4); // conv2

    nnet::add<layer4_t, layer3_t, layer5_t, config5>(layer4_out, layer12_cpy2, layer5_out); // add

    nnet::relu<layer5_t, layer6_t, relu_config6>(layer5_out, layer6_out); // relu2

    nnet::pooling2d_cl<layer6_t, layer7_t, config7>(layer6_out, layer7_out); // pool

    nnet::transpose<layer7_t, layer11_t, config11>(layer7_out, layer11_out); // transpose_input_for_flatten

    nnet::dense<layer11_t, result_t, config9>(layer8_out, layer9_out, w9, b9); // fc

}

