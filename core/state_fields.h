// StateFields<T>: the fields of T that Controller::StateHash feeds into its digest, one
// specialization per state type (core/state_hash.cc). Each lists T's fields as one
// structured binding, which must name every field: a field added to T and not hashed
// fails the build. A class whose fields are private befriends the template.
#pragma once

namespace gitdest::core {

template <class T>
struct StateFields;

}  // namespace gitdest::core
