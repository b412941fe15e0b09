#include "routing/trace_text.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace leadrouter::routing {

using leadrouter::v1::Candidate;
using leadrouter::v1::RoutingTrace;

std::string RotationDetail(const std::string& chosen_rep, bool same_company) {
  return absl::StrCat("eligible; ", chosen_rep,
                      same_company ? " owns the company" : " was picked first");
}

std::string AtCapacityDetail(int open, int capacity) {
  return absl::StrCat("at capacity (", open, " of ", capacity, " open)");
}

std::string DailyCapDetail(int today, int daily_cap) {
  return absl::StrCat("daily cap reached (", today, " of ", daily_cap,
                      " today)");
}

namespace {

const std::string* ChosenRep(const RoutingTrace& t) {
  for (const Candidate& c : t.candidates()) {
    if (c.chosen()) return &c.rep_id();
  }
  return nullptr;
}

std::optional<std::string> Derived(const Candidate& c,
                                   const std::string* chosen) {
  if (c.chosen()) return std::nullopt;
  switch (c.pass_over_reason()) {
    case leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION:
    case leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER:
      if (chosen == nullptr) return std::nullopt;
      return RotationDetail(
          *chosen, c.pass_over_reason() ==
                       leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER);
    case leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY:
      return AtCapacityDetail(c.open_assignments(), c.capacity());
    case leadrouter::v1::PASS_OVER_REASON_DAILY_CAP:
      return DailyCapDetail(c.assigned_today(), c.daily_cap());
    case leadrouter::v1::PASS_OVER_REASON_DECLINED:
      return std::string(kDeclinedDetail);
    case leadrouter::v1::PASS_OVER_REASON_INACTIVE:
      return std::string(kInactiveDetail);
    case leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE:
      return std::string(kOutOfOfficeDetail);
    case leadrouter::v1::PASS_OVER_REASON_PRODUCT_SKILL:
      return std::string(kProductSkillDetail);
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<std::string> DerivedDetail(const RoutingTrace& t,
                                         const Candidate& c) {
  return Derived(c, ChosenRep(t));
}

namespace {

// Whether `c`'s detail is its derived one. The rotation details (most of a
// big team's trace) are compared in place, without building the string:
// this runs for every stored route.
bool IsDerived(const Candidate& c, const std::string* chosen) {
  const auto reason = c.pass_over_reason();
  if (!c.chosen() && chosen != nullptr &&
      (reason == leadrouter::v1::PASS_OVER_REASON_NOT_NEXT_IN_ROTATION ||
       reason == leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER)) {
    constexpr std::string_view kPrefix = "eligible; ";
    const std::string_view suffix =
        reason == leadrouter::v1::PASS_OVER_REASON_SAME_COMPANY_OWNER
            ? " owns the company"
            : " was picked first";
    const std::string_view d = c.detail();
    return d.size() == kPrefix.size() + chosen->size() + suffix.size() &&
           d.starts_with(kPrefix) && d.ends_with(suffix) &&
           d.substr(kPrefix.size(), chosen->size()) == *chosen;
  }
  std::optional<std::string> derived = Derived(c, chosen);
  return derived.has_value() && *derived == c.detail();
}

}  // namespace

std::vector<std::string> TakeDerivedDetails(RoutingTrace* t) {
  std::vector<std::string> taken;
  const std::string* chosen = ChosenRep(*t);
  taken.resize(static_cast<size_t>(t->candidates_size()));
  for (int i = 0; i < t->candidates_size(); ++i) {
    Candidate& c = *t->mutable_candidates(i);
    if (c.detail().empty()) continue;
    if (IsDerived(c, chosen)) {
      taken[static_cast<size_t>(i)] = std::move(*c.mutable_detail());
      c.clear_detail();
    }
  }
  return taken;
}

void RestoreDetails(std::vector<std::string> taken, RoutingTrace* t) {
  for (int i = 0; i < t->candidates_size() &&
                  static_cast<size_t>(i) < taken.size();
       ++i) {
    if (!taken[static_cast<size_t>(i)].empty()) {
      *t->mutable_candidates(i)->mutable_detail() =
          std::move(taken[static_cast<size_t>(i)]);
    }
  }
}

void FillDerivedDetails(RoutingTrace* t) {
  const std::string* chosen = ChosenRep(*t);
  for (Candidate& c : *t->mutable_candidates()) {
    if (!c.detail().empty()) continue;
    if (std::optional<std::string> derived = Derived(c, chosen)) {
      c.set_detail(*std::move(derived));
    }
  }
}

}  // namespace leadrouter::routing
