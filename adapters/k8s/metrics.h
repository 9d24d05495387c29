// gitdest-controller's Prometheus metrics (text exposition format 0.0.4): counters,
// gauges and histograms with labels, rendered on demand. Thread-safe. The families are
// declared once with their help text; a name used without a declaration is a bug.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace gitdest::k8s {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  void Declare(const std::string& name, Type type, const std::string& help);
  void Add(const std::string& name, const Labels& labels, double by = 1);     // counter
  void Set(const std::string& name, const Labels& labels, double value);      // gauge
  void Observe(const std::string& name, const Labels& labels, double value);  // histogram
  std::string Render() const;
  // One series' value (a histogram's count); 0 when absent. For tests.
  double Value(const std::string& name, const Labels& labels) const;

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket of kBuckets, cumulative when rendered
    double sum = 0;
    double count = 0;
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::map<std::string, double> values;         // rendered labels -> value
    std::map<std::string, Histogram> histograms;  // rendered labels -> histogram
  };
  Family& Get(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// The label set as Prometheus writes it: {a="x",b="y"}, values escaped; "" if none.
std::string RenderLabels(const Labels& labels);

}  // namespace gitdest::k8s
