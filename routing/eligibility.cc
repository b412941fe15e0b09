// Whether one rep may take the lead now, and what taking it reserves.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "routing/attempt.h"
#include "routing/trace_text.h"

namespace leadrouter::routing {

using leadrouter::v1::Candidate;
using leadrouter::v1::PassOverReason;

bool IsAbsence(PassOverReason reason) {
  return reason == leadrouter::v1::PASS_OVER_REASON_INACTIVE ||
         reason == leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE;
}

PassOverReason Check(const CompiledRep& rep, const Context& ctx,
                     const Needs& needs, Candidate* candidate) {
  const leadrouter::v1::Rep& r = *rep.rep;
  const int open = ctx.state.OpenAssignments(r.id());
  const int today = ctx.state.AssignedOnDay(
      r.id(), rep.availability.LocalDay(ctx.now));
  candidate->set_rep_id(r.id());
  candidate->set_open_assignments(open);
  candidate->set_capacity(r.capacity());
  candidate->set_assigned_today(today);
  candidate->set_daily_cap(r.daily_cap());
  auto pass = [&](PassOverReason reason, std::string detail) {
    candidate->set_pass_over_reason(reason);
    candidate->set_detail(std::move(detail));
    return reason;
  };
  if (ctx.declined != nullptr &&
      std::find(ctx.declined->begin(), ctx.declined->end(), r.id()) !=
          ctx.declined->end()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_DECLINED, kDeclinedDetail);
  }
  if (r.has_active() && !r.active()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_INACTIVE, kInactiveDetail);
  }
  if (rep.availability.OutOfOffice(ctx.now)) {
    return pass(leadrouter::v1::PASS_OVER_REASON_OUT_OF_OFFICE,
                kOutOfOfficeDetail);
  }
  if (needs.working_hours && !rep.availability.WithinWorkingHours(ctx.now)) {
    return pass(leadrouter::v1::PASS_OVER_REASON_OUTSIDE_WORKING_HOURS,
                absl::StrCat("outside working hours (local time ",
                             absl::FormatTime("%a %H:%M", ctx.now,
                                              rep.availability.zone()),
                             ")"));
  }
  if (needs.language && !ctx.facts.language().empty() &&
      !rep.languages.contains(ctx.facts.language())) {
    return pass(leadrouter::v1::PASS_OVER_REASON_LANGUAGE,
                absl::StrCat("does not speak ", ctx.facts.language()));
  }
  if (needs.product_skill && !ctx.facts.products().empty() &&
      std::none_of(ctx.facts.products().begin(), ctx.facts.products().end(),
                   [&](const std::string& p) {
                     return rep.products.contains(p);
                   })) {
    return pass(leadrouter::v1::PASS_OVER_REASON_PRODUCT_SKILL,
                kProductSkillDetail);
  }
  if (open >= r.capacity()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_AT_CAPACITY,
                AtCapacityDetail(open, r.capacity()));
  }
  if (r.daily_cap() > 0 && today >= r.daily_cap()) {
    return pass(leadrouter::v1::PASS_OVER_REASON_DAILY_CAP,
                DailyCapDetail(today, r.daily_cap()));
  }
  return leadrouter::v1::PASS_OVER_REASON_UNSPECIFIED;
}

void Reserve(const CompiledRep& rep, const Context& ctx,
             StateChanges* changes) {
  const std::string& id = rep.rep->id();
  changes->open.push_back({id, ctx.state.OpenAssignments(id) + 1});
  const int64_t day = rep.availability.LocalDay(ctx.now);
  changes->daily.push_back(
      {id, DailyCount{day, ctx.state.AssignedOnDay(id, day) + 1}});
}

}  // namespace leadrouter::routing
