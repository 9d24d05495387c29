// The codec of core::Effect (core/effects.h): every alternative by its fields.
#include "adapters/trace/codec_types.h"

namespace gitdest::trace::internal {

GITDEST_TRACE_FIELDS(core::FetchMetadata, request, remote, known_tip, timeout);
GITDEST_TRACE_FIELDS(core::PushBatch, request, remote, expected_tip, changes, timeout);
GITDEST_TRACE_FIELDS(core::WriteStatus, request, target, resource_version, status);
GITDEST_TRACE_FIELDS(core::RequeueAfter, destination, delay);
GITDEST_TRACE_FIELDS(core::ResyncDestination, request, destination, remote, base_folder, timeout,
                     selectors);
GITDEST_TRACE_FIELDS(core::EnsureWatches, types);
GITDEST_TRACE_FIELDS(core::RecordEvent, object, reason, message);

Json Codec<core::Effect>::Encode(const core::Effect& effect) { return WriteVariant(effect); }
core::Effect Codec<core::Effect>::Decode(ObjectReader& r) { return ReadVariant<core::Effect>(r); }

}  // namespace gitdest::trace::internal
