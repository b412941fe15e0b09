#include "routing/intake_mapping.h"

#include <cmath>
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "routing/iso_codes.h"

namespace leadrouter::routing {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Value;
using leadrouter::v1::IntakeField;
using leadrouter::v1::IntakeMapping;
using leadrouter::v1::Lead;

constexpr char kAttributesPrefix[] = "attributes.";

// The Lead fields a mapping may fill (created_at is the server's).
const FieldDescriptor* LeadField(const std::string& name) {
  static const absl::flat_hash_set<std::string>* kFillable =
      new absl::flat_hash_set<std::string>{
          "id",           "email",          "full_name",    "company_name",
          "company_domain", "country_code", "region_code",  "postal_code",
          "language",     "product_interests", "score",     "stage",
          "source",       "industry",       "employee_count"};
  if (!kFillable->contains(name)) return nullptr;
  return Lead::descriptor()->FindFieldByName(name);
}

bool IsKnownTransform(const std::string& t) {
  return t == "trim" || t == "lower" || t == "upper";
}

std::string Transform(std::string text, const IntakeField& field) {
  for (const std::string& t : field.transforms()) {
    if (t == "trim") text = std::string(absl::StripAsciiWhitespace(text));
    if (t == "lower") absl::AsciiStrToLower(&text);
    if (t == "upper") absl::AsciiStrToUpper(&text);
  }
  return text;
}

// The value at a dotted path, or nullptr when any step is missing.
const Value* Find(const Value& root, const std::string& path) {
  const Value* at = &root;
  for (absl::string_view step : absl::StrSplit(path, '.')) {
    if (at->has_struct_value()) {
      const auto& fields = at->struct_value().fields();
      auto it = fields.find(std::string(step));
      if (it == fields.end()) return nullptr;
      at = &it->second;
    } else if (at->has_list_value()) {
      int index = 0;
      if (!absl::SimpleAtoi(step, &index) || index < 0 ||
          index >= at->list_value().values_size()) {
        return nullptr;
      }
      at = &at->list_value().values(index);
    } else {
      return nullptr;
    }
  }
  return at;
}

// A scalar JSON value as text; false for objects and lists.
bool AsText(const Value& v, std::string* text) {
  switch (v.kind_case()) {
    case Value::kStringValue:
      *text = v.string_value();
      return true;
    case Value::kNumberValue: {
      const double d = v.number_value();
      *text = (std::floor(d) == d && std::fabs(d) < 1e15)
                  ? absl::StrCat(static_cast<int64_t>(d))
                  : absl::StrCat(d);
      return true;
    }
    case Value::kBoolValue:
      *text = v.bool_value() ? "true" : "false";
      return true;
    case Value::kNullValue:
      text->clear();
      return true;
    default:
      return false;
  }
}

class Mapper {
 public:
  Mapper(const IntakeMapping& mapping, const Value& body)
      : mapping_(mapping), body_(body) {}

  absl::StatusOr<Lead> Run() && {
    for (const IntakeField& field : mapping_.fields()) {
      if (absl::Status s = Fill(field); !s.ok()) return s;
    }
    return std::move(lead_);
  }

 private:
  absl::Status Refuse(const IntakeField& field, const std::string& problem) {
    const std::string where =
        field.path().empty() ? "value" : absl::StrCat("body.", field.path());
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", problem, " (lead.", field.lead(),
                     " by intake mapping \"", mapping_.id(), "\")"));
  }

  // The texts the field's source gives: none, one, or several (a list).
  absl::Status Texts(const IntakeField& field, std::vector<std::string>* out) {
    if (field.path().empty()) {
      out->push_back(field.value());
      return absl::OkStatus();
    }
    const Value* v = Find(body_, field.path());
    if (v == nullptr) return absl::OkStatus();
    if (v->has_list_value()) {
      for (const Value& item : v->list_value().values()) {
        std::string text;
        if (!AsText(item, &text)) return Refuse(field, "holds a nested list");
        out->push_back(std::move(text));
      }
      return absl::OkStatus();
    }
    std::string text;
    if (!AsText(*v, &text)) return Refuse(field, "is an object, not a value");
    out->push_back(std::move(text));
    return absl::OkStatus();
  }

  // Transforms, splits and maps; empty pieces are dropped.
  absl::Status Clean(const IntakeField& field, std::vector<std::string>* texts) {
    std::vector<std::string> cleaned;
    for (const std::string& raw : *texts) {
      std::vector<std::string> pieces;
      if (!field.split().empty()) {
        for (absl::string_view p : absl::StrSplit(raw, field.split())) {
          pieces.emplace_back(absl::StripAsciiWhitespace(p));
        }
      } else {
        pieces.push_back(raw);
      }
      for (std::string& piece : pieces) {
        piece = Transform(std::move(piece), field);
        if (piece.empty()) continue;
        if (field.values_size() > 0) {
          auto it = field.values().find(piece);
          if (it != field.values().end()) {
            piece = it->second;
          } else if (!field.default_().empty()) {
            piece = field.default_();
          } else {
            return Refuse(field,
                          absl::StrCat("\"", piece.substr(0, 100),
                                       "\" is none of the mapped values"));
          }
        }
        cleaned.push_back(std::move(piece));
      }
    }
    *texts = std::move(cleaned);
    return absl::OkStatus();
  }

  absl::Status Fill(const IntakeField& field) {
    std::vector<std::string> texts;
    if (absl::Status s = Texts(field, &texts); !s.ok()) return s;
    if (absl::Status s = Clean(field, &texts); !s.ok()) return s;
    if (texts.empty() && !field.default_().empty()) {
      texts.push_back(field.default_());
    }
    if (texts.empty()) {
      return field.required() ? Refuse(field, "is required") : absl::OkStatus();
    }
    if (absl::StartsWith(field.lead(), kAttributesPrefix)) {
      (*lead_.mutable_attributes())[field.lead().substr(
          sizeof(kAttributesPrefix) - 1)] = absl::StrJoin(texts, ",");
      return absl::OkStatus();
    }
    const FieldDescriptor* f = LeadField(field.lead());
    const auto* reflection = lead_.GetReflection();
    if (f->is_repeated()) {
      for (const std::string& t : texts) reflection->AddString(&lead_, f, t);
      return absl::OkStatus();
    }
    if (texts.size() > 1) {
      return Refuse(field, absl::StrCat("holds ", texts.size(),
                                        " values where one is wanted"));
    }
    const std::string& text = texts.front();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        reflection->SetString(&lead_, f, text);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t n = 0;
        if (!absl::SimpleAtoi(text, &n)) {
          return Refuse(field, absl::StrCat("\"", text.substr(0, 100),
                                            "\" is not a whole number"));
        }
        reflection->SetInt32(&lead_, f, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        // "mql", "MQL" or "STAGE_MQL".
        std::string name = absl::AsciiStrToUpper(text);
        if (!absl::StartsWith(name, "STAGE_")) name = "STAGE_" + name;
        const auto* value = f->enum_type()->FindValueByName(name);
        if (value == nullptr || value->number() == 0) {
          return Refuse(field, absl::StrCat("\"", text.substr(0, 100),
                                            "\" is not a stage (mql or sql)"));
        }
        reflection->SetEnum(&lead_, f, value);
        return absl::OkStatus();
      }
      default:
        return Refuse(field, "cannot be filled by a mapping");
    }
  }

  const IntakeMapping& mapping_;
  const Value& body_;
  Lead lead_;
};

}  // namespace

void CheckIntakeMappings(const leadrouter::v1::RoutingConfig& config,
                         std::vector<ConfigError>* errors) {
  auto error = [&](std::string path, std::string message) {
    errors->push_back({std::move(path), std::move(message)});
  };
  if (config.intake_mappings_size() > kMaxIntakeMappings) {
    error("intake_mappings", absl::StrCat("has ", config.intake_mappings_size(),
                                          " entries; at most ",
                                          kMaxIntakeMappings));
  }
  std::set<std::string> ids;
  for (int i = 0; i < config.intake_mappings_size(); ++i) {
    const IntakeMapping& m = config.intake_mappings(i);
    const std::string path = absl::StrCat("intake_mappings[", i, "]");
    if (!IsConfigId(m.id())) {
      error(path + ".id",
            m.id().empty()
                ? std::string("is required")
                : absl::StrCat("\"", m.id().substr(0, 64),
                               "\" is not a valid id (1 to 64 letters, "
                               "digits, '.', '-', '_')"));
    } else if (!ids.insert(m.id()).second) {
      error(path + ".id", absl::StrCat("duplicate intake mapping id \"",
                                       m.id(), "\""));
    }
    if (m.fields_size() > kMaxIntakeFields) {
      error(path + ".fields", absl::StrCat("has ", m.fields_size(),
                                           " entries; at most ",
                                           kMaxIntakeFields));
    }
    std::set<std::string> filled;
    for (int j = 0; j < m.fields_size(); ++j) {
      const IntakeField& f = m.fields(j);
      const std::string fpath = absl::StrCat(path, ".fields[", j, "]");
      const bool attribute = absl::StartsWith(f.lead(), kAttributesPrefix);
      if (attribute ? f.lead().size() == sizeof(kAttributesPrefix) - 1
                    : LeadField(f.lead()) == nullptr) {
        error(fpath + ".lead",
              absl::StrCat("\"", f.lead().substr(0, 64),
                           "\" is not a lead field a mapping can fill (id, "
                           "email, ..., or attributes.KEY)"));
      } else if (!filled.insert(f.lead()).second) {
        error(fpath + ".lead", absl::StrCat("\"", f.lead(),
                                            "\" is filled twice"));
      }
      if (f.path().empty() == f.value().empty()) {
        error(fpath, "needs exactly one of path or value");
      }
      if (!f.path().empty() &&
          (absl::StartsWith(f.path(), ".") || absl::EndsWith(f.path(), ".") ||
           absl::StrContains(f.path(), ".."))) {
        error(fpath + ".path", absl::StrCat("\"", f.path().substr(0, 200),
                                            "\" has an empty step"));
      }
      for (int k = 0; k < f.transforms_size(); ++k) {
        if (!IsKnownTransform(f.transforms(k))) {
          error(absl::StrCat(fpath, ".transforms[", k, "]"),
                absl::StrCat("\"", f.transforms(k).substr(0, 64),
                             "\" is not trim, lower or upper"));
        }
      }
      const FieldDescriptor* target = LeadField(f.lead());
      if (!f.split().empty() && (target == nullptr || !target->is_repeated())) {
        error(fpath + ".split", "applies only to product_interests");
      }
    }
    if (!filled.contains("id")) {
      error(path + ".fields",
            "must fill the lead's id (the sender's record id makes a "
            "re-sent webhook a replay, not a second lead)");
    }
  }
}

absl::StatusOr<Lead> MapIntake(const IntakeMapping& mapping,
                               const std::string& body) {
  Value root;
  google::protobuf::util::JsonParseOptions options;
  auto parsed = google::protobuf::util::JsonStringToMessage(body, &root, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body: not JSON: ",
        std::string(parsed.message().data(), parsed.message().size())));
  }
  if (!root.has_struct_value()) {
    return absl::InvalidArgumentError("body: is not a JSON object");
  }
  return Mapper(mapping, root).Run();
}

}  // namespace leadrouter::routing
