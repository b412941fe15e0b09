// absl::string_view is its own type in Debian's Abseil 20220623 build, not
// an alias of std::string_view; this converts for absl containers' lookups.
//
//   map.find(ToAbsl(std_view));
#ifndef LEADROUTER_ROUTING_ABSL_STRING_VIEW_H_
#define LEADROUTER_ROUTING_ABSL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace leadrouter::routing {

inline absl::string_view ToAbsl(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_ABSL_STRING_VIEW_H_
