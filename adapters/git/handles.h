// Owning handles for libgit2 objects: each frees itself with its own git_*_free.
#pragma once

#include <git2.h>

#include <memory>

namespace gitdest::git {

template <class T, void (*Free)(T*)>
struct Libgit2Deleter {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Handle = std::unique_ptr<T, Libgit2Deleter<T, Free>>;

using RepositoryPtr = Handle<git_repository, git_repository_free>;
using RemotePtr = Handle<git_remote, git_remote_free>;
using CommitPtr = Handle<git_commit, git_commit_free>;
using TreePtr = Handle<git_tree, git_tree_free>;
using TreeEntryPtr = Handle<git_tree_entry, git_tree_entry_free>;
using SignaturePtr = Handle<git_signature, git_signature_free>;
using ReferencePtr = Handle<git_reference, git_reference_free>;
using TreeBuilderPtr = Handle<git_treebuilder, git_treebuilder_free>;
using OdbPtr = Handle<git_odb, git_odb_free>;
using PackBuilderPtr = Handle<git_packbuilder, git_packbuilder_free>;

}  // namespace gitdest::git
