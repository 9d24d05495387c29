#include "core/branch_worker.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "core/check.h"
#include "core/naming/base_folder.h"
#include "core/naming/repo_url.h"

namespace gitdest::core {
namespace {

// base · 2^(failures-1), capped; `failures` ≥ 1.
absl::Duration Backoff(absl::Duration base, absl::Duration cap, int failures) {
  absl::Duration delay = base;
  for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

int64_t Bytes(const FileChange& change) {
  return static_cast<int64_t>(change.content.size() + change.path.size());
}

}  // namespace

Remote RemoteOf(const RepoConfig& config) {
  const RepoConfigSpec& spec = config.spec;
  // Redacted where it entered; redacted again here, so that no effect can carry a
  // credential even if an adapter forgot (RedactUrl of a redacted URL is the same URL).
  return Remote{RedactUrl(spec.repo_url), ObjectKey{config.key.namespace_, spec.secret_name},
                spec.push};
}

BranchWorker::BranchWorker(WorkerKey key, uint32_t slot, Remote remote,
                           const ControllerOptions& options)
    : key_(std::move(key)), slot_(slot), remote_(std::move(remote)), options_(&options) {}

namespace {
bool SameRepository(const std::string& a, const std::string& b) {
  absl::StatusOr<std::string> na = RepoIdentity(a);
  absl::StatusOr<std::string> nb = RepoIdentity(b);
  return na.ok() && nb.ok() ? *na == *nb : a == b;
}
}  // namespace

void BranchWorker::UpdateRemote(const Remote& remote) {
  // A respelling of the same repository (`Repo.git` → `repo/`, https → ssh) keeps what
  // was read.
  if (!SameRepository(remote.url, remote_.url)) {
    // Another repository: nothing read from the old one describes it. A read in
    // flight still completes for its waiters, but its result is not cached; one still
    // waiting to be sent reads the new remote.
    cache_.reset();
    tip_.reset();
    if (read_ && read_->sent) read_->cacheable = false;
  }
  remote_ = remote;
}

void BranchWorker::Detach(const ObjectKey& destination) {
  destinations_.erase(destination);
  if (read_) read_->waiters.erase(destination);
}

bool BranchWorker::InUse() const {
  return !destinations_.empty() || !pending_.empty() || batch_.has_value();
}

// ---- metadata ------------------------------------------------------------------------

void BranchWorker::AskRead(absl::Time now) {
  GITDEST_ASSERT(!read_);
  GITDEST_ASSERT(now >= read_not_before_);
  read_ = Read{std::nullopt, {}, true};
}

FetchMetadata BranchWorker::SendRead(absl::Time now, RequestIds& ids) {
  GITDEST_ASSERT(read_waiting());
  // Asked no earlier than read_not_before_, so sent no earlier either: one read per TTL.
  GITDEST_ASSERT(now >= read_not_before_);
  read_->sent = Sent{ids.Next(), now};
  read_not_before_ = now + options_->metadata_cache_ttl;
  return FetchMetadata{read_->sent->request, Ref(), tip_.value_or(""), options_->read_timeout};
}

MetadataAnswer BranchWorker::SyncAndGetMetadata(const ObjectKey& destination, absl::Time now) {
  if (cache_ && now - cache_->read_at < options_->metadata_cache_ttl) {
    // Answered: a read still in flight (the cache was refreshed by a push meanwhile) no
    // longer speaks for it, whatever it answers.
    if (read_) read_->waiters.erase(destination);
    return MetadataReady{*cache_};
  }
  if (read_) {
    read_->waiters.insert(destination);
    return MetadataPending{};
  }
  if (now < read_not_before_) {
    if (!last_read_error_.ok()) return MetadataFailed{last_read_error_, read_not_before_};
    // Only after a URL change emptied the cache: the new remote is read once the TTL
    // since the last read has passed, so reads stay one per TTL.
    return MetadataPending{.asked = false, .ready_at = read_not_before_};
  }
  AskRead(now);
  read_->waiters.insert(destination);
  return MetadataPending{.asked = true};
}

BranchWorker::ReadOutcome BranchWorker::OnMetadataFetched(
    RequestId request, const absl::StatusOr<PullReport>& result) {
  if (!read_ || !read_->sent || read_->sent->request != request) return {};  // not this read
  Read read = std::move(*read_);
  read_.reset();
  // The remote was read no earlier than the request was sent.
  const absl::Time read_at = read.sent->at;
  if (!result.ok()) {
    ++read_failures_;
    last_read_error_ = result.status();
    read_not_before_ = read_at + ReadRetryDelay();
    return {std::move(read.waiters), MetadataFailed{last_read_error_, read_not_before_}};
  }
  read_failures_ = 0;
  last_read_error_ = absl::OkStatus();
  if (!read.cacheable) {
    // It described the previous remote: ask the new one when reads are allowed again.
    return {std::move(read.waiters), MetadataPending{.asked = false, .ready_at = read_not_before_}};
  }
  // Force-pushed: what was written may be gone; every destination writes its files again.
  // Unknown (the adapter does not hold the new tip's history) is taken as possibly
  // rewritten when the tip moved away from the one the read asked about: a resync
  // rewrites identical content as no commit, so the doubt costs a listing, never a file.
  const bool moved = tip_ && !tip_->empty() && result->head.sha != *tip_;
  if (result->history_rewritten == Tristate::kYes ||
      (result->history_rewritten == Tristate::kUnknown && moved)) {
    resync_all_ = true;
  }
  BranchInfo info{*result, read_at};
  if (!cache_ || cache_->read_at <= read_at) {
    cache_ = info;
    // A batch in flight will learn the tip from its own result.
    if (!batch_) LearnTip(result->exists_on_remote ? result->head.sha : "");
  }
  return {std::move(read.waiters), MetadataReady{std::move(info)}};
}

absl::Duration BranchWorker::ReadRetryDelay() const {
  // Never below the TTL, whatever the cap says: reads stay one per TTL.
  const absl::Duration ttl = options_->metadata_cache_ttl;
  return Backoff(ttl, std::max(ttl, options_->read_retry_delay_max), read_failures_);
}

BranchWorker::Memory BranchWorker::Remember() const {
  return Memory{remote_.url, cache_, read_not_before_, last_read_error_, read_failures_};
}

void BranchWorker::Restore(const Memory& memory) {
  GITDEST_ASSERT(!read_);
  if (!SameRepository(memory.url, remote_.url)) return;  // another remote
  cache_ = memory.cache;
  if (cache_ && !batch_) tip_ = cache_->report.exists_on_remote ? cache_->report.head.sha : "";
  read_not_before_ = memory.read_not_before;
  last_read_error_ = memory.last_read_error;
  read_failures_ = memory.read_failures;
}

// ---- writes ----------------------------------------------------------------------------

void BranchWorker::Enqueue(FileChange change, absl::Time now) {
  // Invariant 5, checked where paths enter: nothing queued may escape the repository.
  GITDEST_ASSERT(IsNormalFolder(change.path));
  if (pending_.empty()) first_pending_at_ = now;
  pending_bytes_ += Bytes(change);
  pending_.push_back(std::move(change));
  CoalesceIfFull();
}

// Beyond the bound, keep only the latest change per path, in the order of those
// latest changes. The final content of every path is unchanged: nothing is lost,
// only intermediate versions are folded into one commit. What is left may still be
// beyond the bound (that many distinct paths): the queue then coalesces again only once
// it has doubled, so that an outage with many objects changing does not rescan the whole
// queue for every change. It holds at most max(bound, twice its distinct paths).
void BranchWorker::CoalesceIfFull() {
  if (pending_.size() <= std::max(options_->max_pending_changes, coalesce_above_)) return;
  std::vector<bool> latest(pending_.size());
  {
    absl::flat_hash_set<absl::string_view> seen;  // views into pending_, unchanged here
    for (size_t i = pending_.size(); i-- > 0;) latest[i] = seen.insert(pending_[i].path).second;
  }
  std::deque<FileChange> kept;
  int64_t bytes = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    if (!latest[i]) continue;
    bytes += Bytes(pending_[i]);
    kept.push_back(std::move(pending_[i]));
  }
  pending_ = std::move(kept);
  pending_bytes_ = bytes;
  coalesce_above_ = 2 * pending_.size();
}

bool BranchWorker::PushDue(absl::Time now) const {
  if (batch_ || pending_.empty() || now < push_not_before_) return false;
  const PushSettings& push = remote_.push;
  return now >= first_pending_at_ + push.interval ||
         static_cast<int64_t>(pending_.size()) >= push.max_commits ||
         pending_bytes_ >= push.max_bytes;
}

PushBatch BranchWorker::TakeBatch(absl::Time now, RequestIds& ids) {
  GITDEST_ASSERT(tip_.has_value());
  std::vector<FileChange> changes;
  int64_t bytes = 0;
  while (!pending_.empty()) {
    const int64_t size = Bytes(pending_.front());
    const bool full = static_cast<int64_t>(changes.size()) >= remote_.push.max_commits ||
                      bytes + size > remote_.push.max_bytes;
    if (!changes.empty() && full) break;
    bytes += size;
    pending_bytes_ -= size;
    changes.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  PushBatch batch{ids.Next(), Ref(), *tip_, std::move(changes), options_->push_timeout};
  batch_first_pending_at_ = first_pending_at_;
  coalesce_above_ = std::min(coalesce_above_, 2 * pending_.size());
  if (pending_.empty()) first_pending_at_ = absl::InfiniteFuture();
  batch_started_at_ = now;
  GITDEST_ASSERT(!batch.changes.empty());
  return batch;
}

std::optional<PushStart> BranchWorker::MaybeStartPush(absl::Time now, RequestIds& ids) {
  if (!PushDue(now)) return std::nullopt;
  if (!tip_) {
    // The batch must be built on the remote tip: learn it first.
    if (read_ || now < read_not_before_) return std::nullopt;
    AskRead(now);
    return ReadAsked{};
  }
  batch_ = TakeBatch(now, ids);
  return *batch_;
}

void BranchWorker::Requeue(std::vector<FileChange> changes) {
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    pending_bytes_ += Bytes(*it);
    pending_.push_front(std::move(*it));
  }
  // The batch was due when it left: it is due again as soon as the backoff allows.
  first_pending_at_ = std::min(first_pending_at_, batch_first_pending_at_);
  CoalesceIfFull();
}

std::set<ObjectKey> BranchWorker::OnPushCompleted(RequestId request,
                                                  const absl::StatusOr<PushResult>& result,
                                                  absl::Time now) {
  if (!batch_ || batch_->request != request) return {};
  PushBatch batch = std::move(*batch_);
  batch_.reset();
  std::set<ObjectKey> written;
  if (!result.ok()) {
    Requeue(std::move(batch.changes).Take());
    ++push_failures_;
    last_push_error_ = result.status();
    push_not_before_ = now + PushRetryDelay();
    return written;
  }
  // The push reached the branch. Failures keep counting until one lands: a flaky remote
  // that also loses races must not be retried at the shortest delay again and again.
  last_push_error_ = absl::OkStatus();
  if (result->outcome == PushResult::Outcome::kPushed) {
    OnPushed(batch, *result, written);
    return written;
  }
  // Compare-and-swap lost to another writer: replay on the tip found instead. A tip
  // whose ancestry is unknown may have dropped what was written: the doubt is resolved
  // by writing again (identical content commits nothing).
  Requeue(std::move(batch.changes).Take());
  LearnTip(result->tip);
  if (result->history_rewritten != Tristate::kNo) resync_all_ = true;
  ++push_conflicts_;
  const int excess = push_conflicts_ - options_->push_conflict_retries;
  push_not_before_ = excess > 0 ? now + Backoff(options_->push_retry_delay_min,
                                                options_->push_retry_delay_max, excess)
                                : now;
  return written;
}

void BranchWorker::OnPushed(const PushBatch& batch, const PushResult& result,
                            std::set<ObjectKey>& written) {
  push_conflicts_ = 0;
  push_failures_ = 0;
  tip_ = result.tip;
  // The push is a remote read too: the branch was at `tip` when it was accepted,
  // which is no earlier than the batch started.
  if (!cache_ || cache_->read_at <= batch_started_at_) {
    // A batch of no-op changes on an absent branch creates nothing: tip stays "".
    PullReport report{!result.tip.empty(), {result.tip, key_.branch, false}, 0, Tristate::kNo};
    cache_ = BranchInfo{report, batch_started_at_};
  }
  for (const FileChange& c : batch.changes) written.insert(c.destination);
  // A push that created the branch started it from the default branch.
  if (batch.expected_tip.empty() && !result.tip.empty()) resync_all_ = true;
}

// The branch vanished, or came to be while it was known absent (another writer created
// it, or a push of ours whose answer was lost did, from the default branch): what its
// folders hold is not what was written there.
void BranchWorker::LearnTip(const std::string& tip) {
  if (tip_ && tip.empty() != tip_->empty()) resync_all_ = true;
  tip_ = tip;
}

absl::Duration BranchWorker::PushRetryDelay() const {
  return Backoff(options_->push_retry_delay_min, options_->push_retry_delay_max, push_failures_);
}

std::set<std::string> BranchWorker::QueuedWritesUnder(const std::string& folder) const {
  const std::string prefix = folder + "/";
  std::set<std::string> paths;
  auto add = [&](const FileChange& change) {
    if (change.op != ChangeOp::kDelete && change.path.starts_with(prefix))
      paths.insert(change.path);
  };
  for (const FileChange& change : pending_) add(change);
  if (batch_) {
    for (const FileChange& change : batch_->changes) add(change);
  }
  return paths;
}

absl::Time BranchWorker::NextWakeAt() const {
  absl::Time wake = absl::InfiniteFuture();
  // A read still waiting to be sent has no deadline yet: the controller sends it when a
  // slot frees.
  if (read_ && read_->sent) wake = read_->sent->at + options_->read_timeout;
  if (batch_) return std::min(wake, batch_started_at_ + options_->push_timeout);
  if (pending_.empty()) return wake;
  const PushSettings& push = remote_.push;
  absl::Time due = first_pending_at_ + push.interval;
  if (static_cast<int64_t>(pending_.size()) >= push.max_commits ||
      pending_bytes_ >= push.max_bytes) {
    due = absl::InfinitePast();
  }
  due = std::max(due, push_not_before_);
  if (!tip_) {
    if (read_) return wake;  // its result (or its deadline) wakes the worker
    due = std::max(due, read_not_before_);
  }
  return std::min(wake, due);
}

}  // namespace gitdest::core
