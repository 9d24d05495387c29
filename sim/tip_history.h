// The tips one repository's branches have had over simulated time: what the checks of
// bounded staleness compare a status with.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/time/time.h"
#include "sim/sim_remote.h"

namespace gitdest::sim {

class TipHistory {
 public:
  // Notes every branch whose tip changed (or vanished) since the last call. Each branch's
  // history is its own, so the order the remote lists branches in does not matter.
  void Record(const SimRemote& remote, const std::string& url, absl::Time now) {
    // Most calls follow a push that moved nothing (failed, or lost a race).
    if (remote.tip_changes() == recorded_tip_changes_) return;
    recorded_tip_changes_ = remote.tip_changes();
    absl::InlinedVector<const History*, 8> present;
    remote.ForEachBranch(url, [&](const std::string& branch, const std::string& tip) {
      auto& history = tips_[branch];
      present.push_back(&history);
      if (history.empty() || history.back().second != tip) {
        history.emplace_back(now, tip);
        ever_.insert(tip);
      }
    });
    for (auto& [branch, history] : tips_) {
      if (!history.back().second.empty() &&
          std::find(present.begin(), present.end(), &history) == present.end()) {
        history.emplace_back(now, "");
      }
    }
  }

  // Whether the branch was at `sha` at some moment in [from, to]: the tip in force just
  // before `from` (a change at exactly `from` may come after a read), then every tip set
  // within the interval. "" is an absent branch.
  bool SeenBetween(const std::string& branch, const std::string& sha, absl::Time from,
                   absl::Time to) const {
    auto it = tips_.find(branch);
    if (it == tips_.end()) return sha.empty();
    const History& history = it->second;  // in time order: Record is called as time goes on
    auto first = std::lower_bound(history.begin(), history.end(), from,
                                  [](const auto& entry, absl::Time t) { return entry.first < t; });
    for (auto i = first; i != history.end() && i->first <= to; ++i) {
      if (i->second == sha) return true;
    }
    return first == history.begin() ? sha.empty() : std::prev(first)->second == sha;
  }

  // Whether any branch of the repository ever had `sha` as its tip.
  bool EverHad(const std::string& sha) const { return ever_.contains(sha); }

 private:
  using History = std::vector<std::pair<absl::Time, std::string>>;
  std::map<std::string, History> tips_;
  absl::flat_hash_set<std::string> ever_;
  // SimRemote::tip_changes() when Record last looked: none since, nothing to record.
  uint64_t recorded_tip_changes_ = UINT64_MAX;
};

}  // namespace gitdest::sim
