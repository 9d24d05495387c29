// gitdest-controller: the pure core wired to a Kubernetes API server and to Git
// (adapters/k8s/runtime.h). Flags: --help.
#include <cstdio>
#include <string>
#include <vector>

#include "adapters/k8s/flags.h"
#include "adapters/k8s/memory_limits.h"
#include "adapters/k8s/runtime.h"

int main(int argc, char** argv) {
  gitdest::k8s::LimitProcessMemory();  // before any thread starts
  auto flags = gitdest::k8s::ParseControllerFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!flags.ok()) {
    std::fprintf(stderr, "gitdest-controller: %s\n", std::string(flags.status().message()).c_str());
    return 64;
  }
  if (flags->help) {
    std::fputs(gitdest::k8s::ControllerUsage().c_str(), stdout);
    return 0;
  }
  return gitdest::k8s::RunController(*flags);
}
