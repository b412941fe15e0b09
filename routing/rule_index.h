// Finds the first rule that matches a lead without trying every rule. Rules
// are filed under each (country, product) pair they can match, with "any"
// standing in for a rule that does not restrict one of the two. A lead looks
// up only the lists for its own country and products, each sorted by rule
// position, and the earliest rule that fully matches in any list wins, as a
// top-to-bottom scan would decide.
//
//   RuleIndex index(rules);  // rules in config order
//   const CompiledRule* rule = index.Match(LeadFacts(lead));
#ifndef LEADROUTER_ROUTING_RULE_INDEX_H_
#define LEADROUTER_ROUTING_RULE_INDEX_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "routing/compiled_rule.h"

namespace leadrouter::routing {

// Immutable once built; refers to `rules`, which must outlive it.
class RuleIndex {
 public:
  explicit RuleIndex(const std::vector<CompiledRule>& rules);

  // The first rule in config order that matches, or nullptr.
  const CompiledRule* Match(const LeadFacts& facts) const;

 private:
  using Postings = std::vector<const CompiledRule*>;  // by rule position

  const Postings* Find(std::string_view country,
                       std::string_view product) const;

  // Country, then product; "" stands for any. Looked up by string_view, so
  // matching allocates nothing.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, Postings>>
      postings_;
};

}  // namespace leadrouter::routing

#endif  // LEADROUTER_ROUTING_RULE_INDEX_H_
