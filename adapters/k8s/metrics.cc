#include "adapters/k8s/metrics.h"

#include <array>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace gitdest::k8s {
namespace {

// Seconds: from a cache answer (microseconds) to a two-minute push.
constexpr std::array<double, 12> kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                             0.5,   1,     2.5,  5,    20,  120};

const char* TypeName(Metrics::Type type) {
  switch (type) {
    case Metrics::Type::kCounter:
      return "counter";
    case Metrics::Type::kGauge:
      return "gauge";
    case Metrics::Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string WithLabel(const std::string& rendered, const std::string& label) {
  if (rendered.empty()) return absl::StrCat("{", label, "}");
  return absl::StrCat(rendered.substr(0, rendered.size() - 1), ",", label, "}");
}

}  // namespace

std::string RenderLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string value =
        absl::StrReplaceAll(labels[i].second, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
    absl::StrAppend(&out, i == 0 ? "" : ",", labels[i].first, "=\"", value, "\"");
  }
  return out + "}";
}

void Metrics::Declare(const std::string& name, Type type, const std::string& help) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  f.type = type;
  f.help = help;
}

Metrics::Family& Metrics::Get(const std::string& name) {
  auto it = families_.find(name);
  if (it == families_.end()) std::abort();  // undeclared: a bug in the caller
  return it->second;
}

void Metrics::Add(const std::string& name, const Labels& labels, double by) {
  std::lock_guard lock(mu_);
  Get(name).values[RenderLabels(labels)] += by;
}

void Metrics::Set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Get(name).values[RenderLabels(labels)] = value;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Histogram& h = Get(name).histograms[RenderLabels(labels)];
  if (h.counts.empty()) h.counts.assign(kBuckets.size(), 0);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (value <= kBuckets[i]) h.counts[i] += 1;
  }
  h.sum += value;
  h.count += 1;
}

double Metrics::Value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  const std::string key = RenderLabels(labels);
  if (auto v = f->second.values.find(key); v != f->second.values.end()) return v->second;
  if (auto h = f->second.histograms.find(key); h != f->second.histograms.end()) {
    return h->second.count;
  }
  return 0;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " ", TypeName(f.type),
                    "\n");
    for (const auto& [labels, value] : f.values)
      absl::StrAppend(&out, name, labels, " ", value, "\n");
    for (const auto& [labels, h] : f.histograms) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        absl::StrAppend(&out, name, "_bucket",
                        WithLabel(labels, absl::StrCat("le=\"", kBuckets[i], "\"")), " ",
                        h.counts[i], "\n");
      }
      absl::StrAppend(&out, name, "_bucket", WithLabel(labels, "le=\"+Inf\""), " ", h.count, "\n",
                      name, "_sum", labels, " ", h.sum, "\n", name, "_count", labels, " ", h.count,
                      "\n");
    }
  }
  return out;
}

}  // namespace gitdest::k8s
