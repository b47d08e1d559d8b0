#include <catch2/catch.hpp>

#include "ops/builtin_ops.hpp"

using namespace gftest;

namespace {

struct ConvCase {
  int64_t c, h, w, out, kh, kw, sh, sw, ph, pw;
};

std::vector<Attr> conv_attrs(const ConvCase& k, bool bias = true) {
  return {{"out_channels", k.out},
          {"kernel", {k.kh, k.kw}},
          {"stride", {k.sh, k.sw}},
          {"padding", {k.ph, k.pw}},
          {"bias", bias}};
}

Node conv(const ConvCase& k, int64_t max_batch, bool bias = true) {
  return Node(builtin("Conv2D"), {{k.c, k.h, k.w}}, conv_attrs(k, bias), {max_batch});
}

Tensor output_of(const Node& node, int64_t batch) {
  return Tensor::zeros(gradflow::to_shape(node.info().out_shape), batch);
}

// The definition, one output value at a time, in double.
std::vector<double> naive_conv(const ConvCase& k, const Tensor& x, const Tensor& weight,
                               const Tensor* bias, int64_t oh_n, int64_t ow_n) {
  std::vector<double> y;
  for (int64_t b = 0; b < x.batch; ++b)
    for (int64_t o = 0; o < k.out; ++o)
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          double total = bias ? (*bias)[o] : 0.0;
          for (int64_t c = 0; c < k.c; ++c)
            for (int64_t i = 0; i < k.kh; ++i)
              for (int64_t j = 0; j < k.kw; ++j) {
                const int64_t ih = oh * k.sh - k.ph + i, iw = ow * k.sw - k.pw + j;
                if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
                total += static_cast<double>(weight[((o * k.c + c) * k.kh + i) * k.kw + j]) *
                         x[((b * k.c + c) * k.h + ih) * k.w + iw];
              }
          y.push_back(total);
        }
  return y;
}

const ConvCase kCases[] = {
    {1, 6, 6, 2, 3, 3, 1, 1, 0, 0},  // plain
    {2, 7, 5, 3, 3, 2, 2, 1, 1, 0},  // strides, padding and kernels differ per axis
    {3, 4, 4, 2, 1, 1, 1, 1, 0, 0},  // 1x1: the input is its own column matrix
    {2, 5, 5, 2, 5, 5, 1, 1, 2, 2},  // LeNet's first layer shape: kernel 5, pad 2
    {1, 3, 3, 1, 2, 2, 3, 3, 1, 1},  // stride larger than the kernel: skipped inputs
};

}  // namespace

TEST_CASE("Conv2D infers [C', H', W'] and declares weight and bias", "[conv2d]") {
  Node node(builtin("Conv2D"), {{3, 28, 30}},
            {{"out_channels", 8}, {"kernel", {5, 3}}, {"stride", {2}}, {"padding", {2, 1}}});
  const gf_node_info& info = node.info();
  REQUIRE(info.out_shape.rank == 3);
  CHECK(info.out_shape.dims[0] == 8);
  CHECK(info.out_shape.dims[1] == 14);  // (28 + 4 - 5) / 2 + 1
  CHECK(info.out_shape.dims[2] == 15);  // (30 + 2 - 3) / 2 + 1
  REQUIRE(info.n_params == 2);
  CHECK(std::string(info.params[0].name) == "weight");
  REQUIRE(info.params[0].shape.rank == 4);
  CHECK(info.params[0].shape.dims[0] == 8);
  CHECK(info.params[0].shape.dims[1] == 3);
  CHECK(info.params[0].shape.dims[2] == 5);
  CHECK(info.params[0].shape.dims[3] == 3);
  CHECK(info.params[0].init.kind == GF_INIT_HE);
  CHECK(std::string(info.params[1].name) == "bias");
  CHECK(info.params[1].init.kind == GF_INIT_ZEROS);
  CHECK(info.flops_forward == Approx(2.0 * 8 * 14 * 15 * 3 * 5 * 3 + 8 * 14 * 15));
}

TEST_CASE("Conv2D rejects bad inputs and windows with the shapes involved", "[conv2d]") {
  const OpHandle op = builtin("Conv2D");
  const std::vector<Attr> k3 = {{"out_channels", 2}, {"kernel", {3}}};
  CreateResult r = try_create(op, {{784}}, k3);
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[784]") && Catch::Contains("[C, H, W]"));
  r = try_create(op, {{1, 2, 2}}, k3);
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("[3, 3]") && Catch::Contains("[2, 2]"));
  r = try_create(op, {{1, 8, 8}}, {{"out_channels", 2}, {"kernel", {3, 3, 3}}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("kernel"));
  // A kernel as large as a big image: too much work and workspace to be meant.
  r = try_create(op, {{1, 4000, 4000}}, {{"out_channels", 1}, {"kernel", {2000}}});
  CHECK(!r.ok);
  CHECK_THAT(r.message, Catch::Contains("limit"));
}

TEST_CASE("Conv2D forward matches the definition", "[conv2d]") {
  for (const ConvCase& k : kCases) {
    for (bool bias : {true, false}) {
      INFO("case c" << k.c << " " << k.h << "x" << k.w << " kernel " << k.kh << "x" << k.kw
                    << " stride " << k.sh << "," << k.sw << " pad " << k.ph << "," << k.pw
                    << " bias " << bias);
      const int64_t batch = 3;
      Node node = conv(k, batch, bias);
      node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 1);
      if (bias) node.params[1] = Tensor::random(node.params[1].shape, 0, -1, 1, 2);
      const Tensor x = Tensor::random({k.c, k.h, k.w}, batch, -1, 1, 3);
      Tensor y = output_of(node, batch);
      std::fill(y.values.begin(), y.values.end(), 99.0f);  // stale contents must not leak
      node.forward_into({x}, y);
      const auto expected =
          naive_conv(k, x, node.params[0], bias ? &node.params[1] : nullptr,
                     node.info().out_shape.dims[1], node.info().out_shape.dims[2]);
      REQUIRE(y.size() == expected.size());
      for (size_t i = 0; i < expected.size(); ++i) CHECK(y[i] == Approx(expected[i]).margin(1e-5));
    }
  }
}

TEST_CASE("Conv2D gradients match central differences", "[conv2d][gradcheck]") {
  for (const ConvCase& k : kCases) {
    INFO("case c" << k.c << " " << k.h << "x" << k.w << " kernel " << k.kh << "x" << k.kw);
    Node node = conv(k, 5);
    node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 4);
    node.params[1] = Tensor::random(node.params[1].shape, 0, -1, 1, 5);
    CHECK_REPORT(check_gradients(node, {Tensor::random({k.c, k.h, k.w}, 2, -1, 1, 6)}, {true}));
  }
}

TEST_CASE("Conv2D backward adds, over a batch split across slots", "[conv2d]") {
  // 19 samples: more than the op's slots, in ranges of unequal size.
  const ConvCase k = kCases[1];
  Node node = conv(k, 19);
  node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 7);
  node.params[1] = Tensor::random(node.params[1].shape, 0, -1, 1, 8);
  CHECK_REPORT(check_backward_adds(node, {Tensor::random({k.c, k.h, k.w}, 19, -1, 1, 9)}, {true}));
}

TEST_CASE("Conv2D gradients of a batch are the sums of per-sample gradients", "[conv2d]") {
  const ConvCase k = kCases[3];
  const int64_t batch = 11;
  Node node = conv(k, batch);
  node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 10);
  const Tensor x = Tensor::random({k.c, k.h, k.w}, batch, -1, 1, 11);
  const Tensor dy = Tensor::random(output_of(node, batch).shape, batch, -1, 1, 12);
  const Grads all = node.gradients({x}, {true}, dy);
  std::vector<double> summed(all.params[0].size(), 0.0);
  const size_t in = x.size() / batch, out = dy.size() / batch;
  for (int64_t b = 0; b < batch; ++b) {
    const Tensor xb =
        Tensor::of(x.shape, 1, {x.values.begin() + b * in, x.values.begin() + (b + 1) * in});
    const Tensor dyb =
        Tensor::of(dy.shape, 1, {dy.values.begin() + b * out, dy.values.begin() + (b + 1) * out});
    const Grads one = node.gradients({xb}, {true}, dyb);
    for (size_t i = 0; i < summed.size(); ++i) summed[i] += one.params[0][i];
    for (size_t i = 0; i < in; ++i)
      CHECK(all.inputs[0][b * in + i] == Approx(one.inputs[0][i]).margin(1e-6));
  }
  for (size_t i = 0; i < summed.size(); ++i)
    CHECK(all.params[0][i] == Approx(summed[i]).margin(1e-4));
}

namespace {

// Weight and input gradients by the definition, in double: every output position adds its
// gradient times the input it saw (to the weight) and times the weight (to the input).
void naive_backward(const ConvCase& k, const Tensor& x, const Tensor& weight, const Tensor& dy,
                    int64_t oh_n, int64_t ow_n, std::vector<double>& dw, std::vector<double>& dx) {
  dw.assign(weight.size(), 0.0);
  dx.assign(x.size(), 0.0);
  for (int64_t b = 0; b < x.batch; ++b)
    for (int64_t o = 0; o < k.out; ++o)
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          const double g = dy[((b * k.out + o) * oh_n + oh) * ow_n + ow];
          for (int64_t c = 0; c < k.c; ++c)
            for (int64_t i = 0; i < k.kh; ++i)
              for (int64_t j = 0; j < k.kw; ++j) {
                const int64_t ih = oh * k.sh - k.ph + i, iw = ow * k.sw - k.pw + j;
                if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
                const int64_t wi = ((o * k.c + c) * k.kh + i) * k.kw + j;
                const int64_t xi = ((b * k.c + c) * k.h + ih) * k.w + iw;
                dw[wi] += g * x[xi];
                dx[xi] += g * weight[wi];
              }
        }
}

}  // namespace

TEST_CASE("Conv2D backward matches the definition, also for layers split into bands", "[conv2d]") {
  std::vector<ConvCase> cases(std::begin(kCases), std::end(kCases));
  // 576 taps x 64 columns per output row: more than one band of the op's workspace budget.
  cases.push_back({64, 64, 64, 2, 3, 3, 1, 1, 1, 1});
  cases.push_back({64, 70, 64, 3, 3, 3, 2, 1, 0, 1});
  for (const ConvCase& k : cases) {
    INFO("case c" << k.c << " " << k.h << "x" << k.w << " kernel " << k.kh << "x" << k.kw
                  << " stride " << k.sh << "," << k.sw);
    const int64_t batch = 3;
    Node node = conv(k, batch);
    node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 13);
    node.params[1] = Tensor::random(node.params[1].shape, 0, -1, 1, 14);
    const Tensor x = Tensor::random({k.c, k.h, k.w}, batch, -1, 1, 15);
    const int64_t oh = node.info().out_shape.dims[1], ow = node.info().out_shape.dims[2];
    const Tensor y = node.forward({x});
    const auto expected = naive_conv(k, x, node.params[0], &node.params[1], oh, ow);
    for (size_t i = 0; i < expected.size(); ++i) REQUIRE(y[i] == Approx(expected[i]).margin(1e-3));
    const Tensor dy = Tensor::random(y.shape, batch, -1, 1, 16);
    const Grads g = node.gradients({x}, {true}, dy);
    std::vector<double> dw, dx;
    naive_backward(k, x, node.params[0], dy, oh, ow, dw, dx);
    for (size_t i = 0; i < dw.size(); ++i) REQUIRE(g.params[0][i] == Approx(dw[i]).margin(2e-3));
    for (size_t i = 0; i < dx.size(); ++i) REQUIRE(g.inputs[0][i] == Approx(dx[i]).margin(1e-4));
    double db = 0;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t p = 0; p < oh * ow; ++p) db += dy[(b * k.out) * oh * ow + p];
    CHECK(g.params[1][0] == Approx(db).margin(1e-3));
  }
}

TEST_CASE("Conv2D training and evaluation forwards agree, and backward after either is right",
          "[conv2d]") {
  // Training keeps the column matrices for backward; evaluation does not. Both must give the
  // same output, and a backward after an evaluation forward must not use stale columns.
  const ConvCase k = kCases[3];
  Node node = conv(k, 4);
  node.params[0] = Tensor::random(node.params[0].shape, 0, -1, 1, 17);
  const Tensor x = Tensor::random({k.c, k.h, k.w}, 4, -1, 1, 18);
  const Tensor other = Tensor::random({k.c, k.h, k.w}, 4, -1, 1, 19);
  const Tensor dy = Tensor::random(output_of(node, 4).shape, 4, -1, 1, 20);
  node.training = true;
  const Tensor trained = node.forward({x});
  const Grads reference = node.gradients({x}, {true}, dy);
  node.forward({other});  // keeps the columns of other inputs...
  node.training = false;
  CHECK(node.forward({x}).values == trained.values);  // ...which evaluation must forget
  std::vector<Tensor> in_grads{Tensor::zeros(x.shape, 4)};
  std::vector<Tensor> param_grads;
  for (const Tensor& p : node.params) param_grads.push_back(Tensor::zeros(p.shape, 0));
  node.backward({x}, trained, dy, in_grads, param_grads);
  CHECK(param_grads[0].values == reference.params[0].values);
  CHECK(in_grads[0].values == reference.inputs[0].values);
}

TEST_CASE("ops give the same numbers however the host splits their loops", "[conv2d][threads]") {
  struct Case {
    const char* op;
    Shape in;
    std::vector<Attr> attrs;
  };
  const ConvCase k = kCases[1];
  const std::vector<Case> cases = {
      {"Conv2D", {k.c, k.h, k.w}, conv_attrs(k)},
      {"MaxPool2D", {3, 6, 6}, {{"kernel", {2}}}},
      {"AvgPool2D", {3, 6, 6}, {{"kernel", {3}}, {"padding", {1}}}},
      {"BatchNorm", {40, 2, 2}, {}},
      {"Dropout", {1000}, {}},
  };
  for (const Case& c : cases) {
    INFO(c.op);
    const int64_t batch = 19;
    const Tensor x = Tensor::random(c.in, batch, -1, 1, 21);
    std::vector<float> outputs, grads;
    // No host (one thread), then one chunk, then chunks of max(grain, chunk) indices, last first.
    for (int64_t chunk : {-1, 0, 1, 17, 64, 100}) {
      INFO("chunk " << chunk);
      const SplitHost host(4, chunk);
      Node node(builtin(c.op), {c.in}, c.attrs, {batch});
      for (size_t p = 0; p < node.params.size(); ++p)
        node.params[p] = Tensor::random(node.params[p].shape, 0, 0.5, 1.5, 22);
      node.seed = 5;
      node.host = chunk < 0 ? nullptr : host.get();
      const Tensor y = node.forward({x});
      const Grads g = node.gradients({x}, {true}, Tensor::random(y.shape, batch, -1, 1, 23));
      std::vector<float> all = g.inputs[0].values;
      for (const Tensor& p : g.params) all.insert(all.end(), p.values.begin(), p.values.end());
      if (chunk < 0) {
        outputs = y.values;
        grads = all;
        continue;
      }
      CHECK(y.values == outputs);
      CHECK(all == grads);
    }
  }
}
