// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (an absl::StatusOr); returns its status
// from the calling function when it failed, else assigns its value to `lhs` (which may
// declare a variable).
#pragma once

#include <utility>

#define GITDEST_STATUS_CONCAT_INNER(a, b) a##b
#define GITDEST_STATUS_CONCAT(a, b) GITDEST_STATUS_CONCAT_INNER(a, b)
#define GITDEST_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = *std::move(tmp)
#define ASSIGN_OR_RETURN(lhs, expr) \
  GITDEST_ASSIGN_OR_RETURN_IMPL(GITDEST_STATUS_CONCAT(status_or_, __LINE__), lhs, expr)
