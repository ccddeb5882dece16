#ifndef EXOSPHERE_DEVSERVER_UNITES_READINESS_H_
#define EXOSPHERE_DEVSERVER_UNITES_READINESS_H_

#include <vector>

#include "devserver/models.h"

namespace exosphere::devserver {

// The readiness rule of a unite node (contract 4.7), given the statuses of every state that has
// the unite target's state among its parents: ALL_SUCCESS waits while any is not SUCCESS or
// RETRY_CREATED (so an ERRORED, PRUNED or NEXT_CREATED_ERROR descendant blocks it forever);
// ALL_DONE waits while any is CREATED, QUEUED or EXECUTED. Pure; thread-safe.
bool UnitesBlockedBy(UnitesStrategy strategy, StateStatus descendant_status);
bool UnitesReady(UnitesStrategy strategy, const std::vector<StateStatus>& descendant_statuses);

}  // namespace exosphere::devserver

#endif  // EXOSPHERE_DEVSERVER_UNITES_READINESS_H_
