// The tips one repository's branches have had over simulated time: what the checks of
// bounded staleness compare a status with.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "sim/sim_remote.h"

namespace gitdest::sim {

class TipHistory {
 public:
  // Notes every branch whose tip changed (or vanished) since the last call.
  void Record(const SimRemote& remote, const std::string& url, absl::Time now) {
    for (const auto& [branch, tip] : remote.Branches(url)) {
      auto& history = tips_[branch];
      if (history.empty() || history.back().second != tip) history.emplace_back(now, tip);
    }
    for (auto& [branch, history] : tips_) {
      if (!history.back().second.empty() && remote.Tip(url, branch).empty()) {
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
    std::string before;
    for (const auto& [when, tip] : it->second) {
      if (when < from) {
        before = tip;
      } else if (when <= to && tip == sha) {
        return true;
      }
    }
    return before == sha;
  }

 private:
  std::map<std::string, std::vector<std::pair<absl::Time, std::string>>> tips_;
};

}  // namespace gitdest::sim
