// The codec of core::Input (core/inputs.h): every alternative by its fields.
#include "adapters/trace/codec_types.h"

namespace gitdest::trace::internal {

GITDEST_TRACE_FIELDS(core::RepoConfigObserved, config);
GITDEST_TRACE_FIELDS(core::RepoConfigDeleted, key);
GITDEST_TRACE_FIELDS(core::DestinationObserved, destination);
GITDEST_TRACE_FIELDS(core::DestinationDeleted, key);
GITDEST_TRACE_FIELDS(core::WatchRuleObserved, rule);
GITDEST_TRACE_FIELDS(core::WatchRuleDeleted, key);
GITDEST_TRACE_FIELDS(core::ResourceTypesDiscovered, types);
GITDEST_TRACE_FIELDS(core::ObjectChanged, object, uid, resource_version, op, content, user);
GITDEST_TRACE_FIELDS(core::WatchRelisted, gvr, resource_version);
GITDEST_TRACE_FIELDS(core::CapturedObject, resource, content, author, uid, resource_version);
GITDEST_TRACE_FIELDS(core::ObjectsListed, request, destination, objects, files);
GITDEST_TRACE_FIELDS(core::MetadataFetched, request, result);
GITDEST_TRACE_FIELDS(core::PushCompleted, request, result);
GITDEST_TRACE_FIELDS(core::StatusWritten, request, target, resource_version);
GITDEST_TRACE_FIELDS(core::ControllerRestarted, epoch);
GITDEST_TRACE_NO_FIELDS(core::TimerFired);
GITDEST_TRACE_NO_FIELDS(core::CacheSynced);
GITDEST_TRACE_NO_FIELDS(core::LeaseAcquired);
GITDEST_TRACE_NO_FIELDS(core::LeaseLost);

Json Codec<core::Input>::Encode(const core::Input& input) { return WriteVariant(input); }
core::Input Codec<core::Input>::Decode(ObjectReader& r) { return ReadVariant<core::Input>(r); }

}  // namespace gitdest::trace::internal
