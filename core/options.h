// Every bound and interval of the core, in one place. Defaults are the product's;
// tests and the simulator may shrink them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace gitdest::core {

struct ControllerOptions {
  // Branch metadata younger than this is served from the worker's cache; it is also
  // the least time between two remote reads of one branch.
  absl::Duration metadata_cache_ttl = absl::Seconds(30);
  // A read not answered within this fails with DeadlineExceeded (its late answer is
  // ignored). Kept below the TTL, so that a status is never older than the TTL
  // when its reconcile completes.
  absl::Duration read_timeout = absl::Seconds(20);
  // A push not answered within this is retried; a replay of a push that did land
  // conflicts, and replays as no-op commits.
  absl::Duration push_timeout = absl::Minutes(2);
  // Failed reads back off exponentially from metadata_cache_ttl up to this (a cap below
  // the TTL is taken as the TTL: reads stay one per TTL).
  absl::Duration read_retry_delay_max = absl::Minutes(5);

  // Level-based resync of a healthy destination, spread by a jitter derived from its
  // key so that 10 000 destinations do not reconcile in the same second.
  absl::Duration requeue_interval = absl::Minutes(10);
  double requeue_jitter_fraction = 0.1;  // ± this fraction of requeue_interval
  absl::Duration invalid_spec_requeue = absl::Minutes(2);
  absl::Duration status_write_retry_delay = absl::Seconds(5);
  absl::Duration resync_retry_delay = absl::Seconds(5);
  // A status write or resync list not answered within this (since it was sent) is given
  // up on and issued again.
  absl::Duration api_timeout = absl::Seconds(30);

  // Pushes that fail for outage or auth back off from push_retry_delay_min to max;
  // conflicts are replayed at once up to push_conflict_retries times in a row.
  absl::Duration push_retry_delay_min = absl::Seconds(1);
  absl::Duration push_retry_delay_max = absl::Minutes(5);
  int push_conflict_retries = 3;

  // Bound on queued changes per branch: beyond it the queue coalesces to the latest
  // change per path (nothing is dropped; see BranchWorker::CoalesceIfFull).
  size_t max_pending_changes = 10000;

  // Remote reads in flight at once, over every branch (at least 1). A read asked beyond
  // it waits, first asked first sent, and its destinations wait with it (they do not
  // fail); its timeout runs from when it is sent. gitdest-controller sets it to its read
  // threads (--git-read-workers), so that a read never waits for a thread.
  size_t max_reads_in_flight = 16;

  // Status writes in flight at once, over every object of every kind (at least 1). A write
  // due beyond it waits, first due first sent, as its object's place in line: the status
  // sent is the one current when a slot frees (a status that changed meanwhile is written
  // once), and api_timeout runs from the send. gitdest-controller sets it to its API
  // threads (--api-workers), so that a write never waits for a thread and is given up on
  // unsent. Lists (ResyncDestination) run on the listing threads, not these: not counted.
  size_t max_status_writes_in_flight = 4;

  // Resync lists in flight at once, over every destination (at least 1). A list due beyond
  // it waits, first asked first sent, as its destination's place in line (the destination
  // does not fail meanwhile); what it lists is decided when it is sent, and api_timeout
  // runs from the send. gitdest-controller sets it to its listing threads
  // (--git-list-workers), so that a list never waits for a thread, times out unsent and
  // makes its destination reconcile again to ask anew.
  size_t max_lists_in_flight = 4;
};

}  // namespace gitdest::core
