// The world around a GitRemote implementation, for the contract tests: repositories to
// create, and another writer who commits, deletes and force-pushes. One implementation
// over the simulator's SimRemote, one over real repositories (file://, or served over
// HTTPS or SSH by tests/git/servers.sh) driven by the git CLI.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/git/credentials.h"
#include "core/ports.h"

namespace gitdest::testing {

class GitWorld {
 public:
  virtual ~GitWorld() = default;
  virtual core::GitRemote& remote() = 0;
  // A new repository: empty, or with one commit (README) on `main`, its default branch.
  // Returns the RemoteRef for `branch` of it.
  virtual core::RemoteRef NewRepository(bool with_main, const std::string& branch) = 0;
  // Another writer commits `path` = `content` on the branch; returns the new tip.
  virtual std::string ExternalCommit(const core::RemoteRef& ref, const std::string& path,
                                     const std::string& content) = 0;
  virtual void DeleteBranch(const core::RemoteRef& ref) = 0;
  // Someone force-pushes the branch back to the parent of its tip.
  virtual void ForceMoveBack(const core::RemoteRef& ref) = 0;
  // The branch's tip ("" if absent), every file at it (sorted), and one file's bytes.
  virtual std::string Tip(const core::RemoteRef& ref) = 0;
  virtual std::vector<std::string> Files(const core::RemoteRef& ref) = 0;
  virtual std::string Content(const core::RemoteRef& ref, const std::string& path) = 0;
  // The bare repository's directory on this machine ("" for the simulator).
  virtual std::string RepositoryPath(const core::RemoteRef& ref) = 0;
};

std::unique_ptr<GitWorld> MakeSimWorld();
// The bytes of the file the environment variable `variable` names ("" if unset).
std::string FileNamedBy(const char* variable);
// Real repositories under a fresh temporary directory, reached through `transport`:
// "file", or "https"/"ssh" when tests/git/servers.sh's environment is set (else null).
struct WorldOptions {
  // May spoil the credentials (wrong password, no CA, unknown host key).
  std::function<void(git::Credentials&)> edit;
  // Reach the servers through another address (a proxy in front of them): the URL base
  // instead of GITDEST_TEST_HTTPS_BASE / GITDEST_TEST_SSH_BASE.
  std::string base_url;
};
std::unique_ptr<GitWorld> MakeRealWorld(const std::string& transport,
                                        const WorldOptions& options = WorldOptions());
inline WorldOptions WithCredentials(std::function<void(git::Credentials&)> edit) {
  WorldOptions options;
  options.edit = std::move(edit);
  return options;
}
inline WorldOptions Through(std::string base_url) {
  WorldOptions options;
  options.base_url = std::move(base_url);
  return options;
}

}  // namespace gitdest::testing
