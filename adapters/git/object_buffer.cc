#include "adapters/git/object_buffer.h"

#include <git2/sys/odb_backend.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "adapters/git/git_status.h"
#include "adapters/git/handles.h"
#include "adapters/git/pack_compaction.h"
#include "adapters/git/status_macros.h"

namespace gitdest::git {
namespace {

// Above the loose (1) and pack (2) backends: libgit2 writes to the first backend by
// priority that can write, and reads from it first.
constexpr int kBufferPriority = 999;

struct OidLess {
  bool operator()(const git_oid& a, const git_oid& b) const { return git_oid_cmp(&a, &b) < 0; }
};

struct HeldObject {
  git_object_t type;
  std::string bytes;
};

}  // namespace

// A libgit2 object database backend over a map; `parent` first, as libgit2 hands the
// backend back as a pointer to it.
struct ObjectBuffer::Backend {
  git_odb_backend parent;
  std::map<git_oid, HeldObject, OidLess>* objects;  // ordered: a pack in a fixed order

  static Backend* Of(git_odb_backend* b) { return reinterpret_cast<Backend*>(b); }
  const HeldObject* Find(const git_oid* oid) const {
    auto it = objects->find(*oid);
    return it == objects->end() ? nullptr : &it->second;
  }

  static int Read(void** out, size_t* len, git_object_t* type, git_odb_backend* b,
                  const git_oid* oid) {
    const HeldObject* held = Of(b)->Find(oid);
    if (held == nullptr) return GIT_ENOTFOUND;
    // One byte more, zero, as libgit2's own backends hand back object data.
    auto* data = static_cast<char*>(git_odb_backend_data_alloc(b, held->bytes.size() + 1));
    if (data == nullptr) return -1;
    std::memcpy(data, held->bytes.data(), held->bytes.size());
    data[held->bytes.size()] = '\0';
    *out = data;
    *len = held->bytes.size();
    *type = held->type;
    return 0;
  }
  static int ReadHeader(size_t* len, git_object_t* type, git_odb_backend* b, const git_oid* oid) {
    const HeldObject* held = Of(b)->Find(oid);
    if (held == nullptr) return GIT_ENOTFOUND;
    *len = held->bytes.size();
    *type = held->type;
    return 0;
  }
  static int Exists(git_odb_backend* b, const git_oid* oid) {
    return Of(b)->Find(oid) != nullptr ? 1 : 0;
  }
  static int Write(git_odb_backend* b, const git_oid* oid, const void* data, size_t len,
                   git_object_t type) {
    Of(b)->objects->try_emplace(*oid,
                                HeldObject{type, std::string(static_cast<const char*>(data), len)});
    return 0;
  }
  static void Free(git_odb_backend* b) {
    delete Of(b)->objects;
    delete Of(b);
  }
};

absl::StatusOr<ObjectBuffer> ObjectBuffer::Attach(git_repository* repo) {
  git_odb* odb = nullptr;
  if (int rc = git_repository_odb(&odb, repo); rc < 0) {
    return FromLibgit2(rc, "opening the object database");
  }
  OdbPtr owned_odb(odb);
  auto backend = std::make_unique<Backend>();
  git_odb_init_backend(&backend->parent, GIT_ODB_BACKEND_VERSION);
  backend->objects = new std::map<git_oid, HeldObject, OidLess>();
  backend->parent.read = Backend::Read;
  backend->parent.read_header = Backend::ReadHeader;
  backend->parent.exists = Backend::Exists;
  backend->parent.write = Backend::Write;
  backend->parent.free = Backend::Free;
  if (int rc = git_odb_add_backend(odb, &backend->parent, kBufferPriority); rc < 0) {
    delete backend->objects;
    return FromLibgit2(rc, "holding new objects in memory");
  }
  return ObjectBuffer(repo, backend.release());  // the object database owns it now
}

absl::Status ObjectBuffer::Flush() {
  if (backend_->objects->empty()) return absl::OkStatus();
  git_packbuilder* builder = nullptr;
  if (int rc = git_packbuilder_new(&builder, repo_); rc < 0) {
    return FromLibgit2(rc, "packing the new objects");
  }
  PackBuilderPtr owned_builder(builder);
  git_packbuilder_set_threads(builder, 1);
  for (const auto& [oid, held] : *backend_->objects) {
    if (int rc = git_packbuilder_insert(builder, &oid, nullptr); rc < 0) {
      return FromLibgit2(rc, "packing the new objects");
    }
  }
  ASSIGN_OR_RETURN(const std::string pack_dir, PackDirectory(repo_));
  if (int rc = git_packbuilder_write(builder, pack_dir.c_str(), 0, nullptr, nullptr); rc < 0) {
    return FromLibgit2(rc, "writing the new objects");
  }
  backend_->objects->clear();  // readers find them in the new pack from now on
  return absl::OkStatus();
}

}  // namespace gitdest::git
