#include "adapters/git/commit_builder.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "adapters/git/git_status.h"
#include "adapters/git/handles.h"
#include "core/naming/identity.h"

namespace gitdest::git {
namespace {

bool EmailSafe(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+';
}

absl::StatusOr<SignaturePtr> Signature(const Identity& who, absl::Time now) {
  git_signature* sig = nullptr;
  if (absl::Status s = Check(
          git_signature_new(&sig, who.name.c_str(), who.email.c_str(), absl::ToUnixSeconds(now), 0),
          "making a commit signature");
      !s.ok()) {
    return s;
  }
  return SignaturePtr(sig);
}

absl::StatusOr<TreePtr> TreeOf(git_repository* repo, const std::optional<git_oid>& commit) {
  git_tree* tree = nullptr;
  if (commit) {
    git_commit* c = nullptr;
    if (absl::Status s = Check(git_commit_lookup(&c, repo, &*commit), "reading the parent commit");
        !s.ok()) {
      return s;
    }
    CommitPtr owned(c);
    if (absl::Status s = Check(git_commit_tree(&tree, c), "reading the parent tree"); !s.ok()) {
      return s;
    }
    return TreePtr(tree);
  }
  git_treebuilder* builder = nullptr;
  git_oid empty;
  if (absl::Status s = Check(git_treebuilder_new(&builder, repo, nullptr), "an empty tree");
      !s.ok()) {
    return s;
  }
  TreeBuilderPtr owned(builder);
  if (absl::Status s = Check(git_treebuilder_write(&empty, builder), "an empty tree"); !s.ok()) {
    return s;
  }
  if (absl::Status s = Check(git_tree_lookup(&tree, repo, &empty), "an empty tree"); !s.ok()) {
    return s;
  }
  return TreePtr(tree);
}

// The update `change` makes to `tree`, or nullopt when it changes no bytes.
absl::StatusOr<std::optional<git_tree_update>> UpdateFor(git_repository* repo, git_tree* tree,
                                                         const core::FileChange& change) {
  git_tree_entry* found = nullptr;
  const bool exists = git_tree_entry_bypath(&found, tree, change.path.c_str()) == 0;
  TreeEntryPtr entry(found);
  git_tree_update update{};
  update.path = change.path.c_str();
  if (change.op == core::ChangeOp::kDelete) {
    if (!exists) return std::nullopt;
    update.action = GIT_TREE_UPDATE_REMOVE;
    return update;
  }
  if (exists && git_tree_entry_type(found) != GIT_OBJECT_BLOB) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", change.path, ": the branch has a folder there"));
  }
  if (absl::Status s = Check(git_blob_create_from_buffer(&update.id, repo, change.content.data(),
                                                         change.content.size()),
                             absl::StrCat("storing ", change.path));
      !s.ok()) {
    return s;
  }
  if (exists && git_oid_equal(&update.id, git_tree_entry_id(found))) return std::nullopt;
  update.action = GIT_TREE_UPDATE_UPSERT;
  update.filemode = GIT_FILEMODE_BLOB;
  return update;
}

}  // namespace

Identity AuthorOf(const std::string& user) {
  Identity id;
  for (char c : user) {
    if (c != '<' && c != '>' && c != '\n' && c != '\r' && c != '\0') id.name += c;
  }
  id.name = std::string(absl::StripAsciiWhitespace(id.name));
  if (id.name.empty()) id.name = "unknown user";
  std::string local;
  for (char c : user) local += EmailSafe(c) ? c : '-';
  if (local.empty() || local != user || local.front() == '.' || local.back() == '.') {
    absl::StrAppend(&local, local.empty() ? "" : "+", core::Sha256Hex(user).substr(0, 8));
  }
  id.email = absl::StrCat(local, "@users.gitdest.invalid");
  return id;
}

absl::Status ValidatePath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to write \"", path, "\": not a relative path in the repository"));
  }
  for (absl::string_view segment : absl::StrSplit(path, '/')) {
    if (segment.empty() || segment == "." || segment == ".." ||
        absl::AsciiStrToLower(segment) == ".git") {
      return absl::InvalidArgumentError(
          absl::StrCat("refusing to write \"", path, "\": it escapes the destination's folder"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<git_oid>> CommitChanges(git_repository* repo,
                                                     std::optional<git_oid> parent,
                                                     const std::vector<core::FileChange>& changes,
                                                     const Identity& committer, absl::Time now) {
  absl::StatusOr<SignaturePtr> committer_sig = Signature(committer, now);
  if (!committer_sig.ok()) return committer_sig.status();
  absl::StatusOr<TreePtr> tree = TreeOf(repo, parent);
  if (!tree.ok()) return tree.status();
  for (const core::FileChange& change : changes) {
    if (absl::Status s = ValidatePath(change.path); !s.ok()) return s;
    absl::StatusOr<std::optional<git_tree_update>> update = UpdateFor(repo, tree->get(), change);
    if (!update.ok()) return update.status();
    if (!*update) continue;
    git_oid tree_id;
    git_tree* next = nullptr;
    if (absl::Status s = Check(git_tree_create_updated(&tree_id, repo, tree->get(), 1, &**update),
                               absl::StrCat("writing ", change.path));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Check(git_tree_lookup(&next, repo, &tree_id), "reading a new tree");
        !s.ok()) {
      return s;
    }
    *tree = TreePtr(next);
    absl::StatusOr<SignaturePtr> author = Signature(AuthorOf(change.author), now);
    if (!author.ok()) return author.status();
    git_commit* parent_commit = nullptr;
    if (parent && git_commit_lookup(&parent_commit, repo, &*parent) < 0) {
      return FromLibgit2(-1, "reading the parent commit");
    }
    CommitPtr owned_parent(parent_commit);
    const git_commit* parents[] = {parent_commit};
    git_oid made;
    if (absl::Status s =
            Check(git_commit_create(&made, repo, nullptr, author->get(), committer_sig->get(),
                                    nullptr, change.message.c_str(), next, parent ? 1 : 0, parents),
                  absl::StrCat("committing ", change.path));
        !s.ok()) {
      return s;
    }
    parent = made;
  }
  return parent;
}

}  // namespace gitdest::git
