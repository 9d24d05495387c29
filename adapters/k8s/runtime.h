// gitdest-controller's process: every part built from the flags and wired together —
// the API client, the Git adapter, the core on its thread, the pools, the watches, the
// lease, metrics and health — and its orderly stop.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "adapters/k8s/flags.h"

namespace gitdest::k8s {

// Runs until SIGTERM or SIGINT; returns the process exit code. Startup errors (no API
// server configured, a port taken) are logged with what to fix and give 2.
int RunController(const ControllerFlags& flags);

}  // namespace gitdest::k8s
