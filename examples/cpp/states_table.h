#ifndef EXOSPHERE_EXAMPLES_CPP_STATES_TABLE_H_
#define EXOSPHERE_EXAMPLES_CPP_STATES_TABLE_H_

#include <string>

#include "exosphere/client/run_types.h"

namespace exosphere::examples {

// A run's states as an aligned text table, one state per line in creation order:
//   IDENTIFIER  NODE  STATUS  OUTPUTS (or ERROR)
// ending with a newline.
std::string FormatStatesTable(const client::RunStates& states);

}  // namespace exosphere::examples

#endif  // EXOSPHERE_EXAMPLES_CPP_STATES_TABLE_H_
