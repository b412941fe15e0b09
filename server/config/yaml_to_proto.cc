// Conversion is driven by protobuf reflection, so the YAML format follows the
// config proto with no second schema to keep in step.
#include "server/config/yaml_to_proto.h"

#include <cctype>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace leadrouter::server {
namespace {

using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

class Converter {
 public:
  Converter(YamlPositions* positions, std::vector<routing::ConfigError>* errors)
      : positions_(positions), errors_(errors) {}

  void ToMessage(const YAML::Node& node, Message* message,
                 const std::string& path) {
    Remember(node, path);
    if (node.IsNull()) return;
    if (!node.IsMap()) {
      Error(path, "expected a mapping of field names to values");
      return;
    }
    const auto* descriptor = message->GetDescriptor();
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      const std::string field_path = path.empty() ? key : path + "." + key;
      const FieldDescriptor* field = descriptor->FindFieldByName(key);
      if (field == nullptr) {
        Remember(entry.first, field_path);
        Error(field_path, absl::StrCat("unknown field \"", key, "\" in ",
                                       descriptor->name()));
        continue;
      }
      ToField(entry.second, message, field, field_path);
    }
  }

 private:
  void Remember(const YAML::Node& node, const std::string& path) {
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) {
      positions_->emplace(path, YamlPosition{mark.line + 1, mark.column + 1});
    }
  }

  void Error(const std::string& path, std::string message) {
    errors_->push_back({path, std::move(message)});
  }

  void ToField(const YAML::Node& node, Message* message,
               const FieldDescriptor* field, const std::string& path) {
    Remember(node, path);
    if (node.IsNull()) return;  // "key:" with no value leaves the field unset
    if (field->is_map()) {
      ToMap(node, message, field, path);
    } else if (field->is_repeated()) {
      if (node.IsSequence()) {
        for (size_t i = 0; i < node.size(); ++i) {
          AddRepeated(node[i], message, field, absl::StrCat(path, "[", i, "]"));
        }
      } else {
        AddRepeated(node, message, field, path + "[0]");  // one-item shorthand
      }
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      ToMessage(node, message->GetReflection()->MutableMessage(message, field),
                path);
    } else {
      SetScalar(node, message, field, path);
    }
  }

  void ToMap(const YAML::Node& node, Message* message,
             const FieldDescriptor* field, const std::string& path) {
    if (!node.IsMap()) {
      Error(path, "expected a mapping");
      return;
    }
    for (const auto& entry : node) {
      Message* item = message->GetReflection()->AddMessage(message, field);
      const auto* d = item->GetDescriptor();
      const std::string key = entry.first.as<std::string>();
      const std::string item_path = absl::StrCat(path, "[\"", key, "\"]");
      SetScalar(entry.first, item, d->FindFieldByNumber(1), item_path);
      SetScalar(entry.second, item, d->FindFieldByNumber(2), item_path);
    }
  }

  void AddRepeated(const YAML::Node& node, Message* message,
                   const FieldDescriptor* field, const std::string& path) {
    Remember(node, path);
    if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
      ToMessage(node, message->GetReflection()->AddMessage(message, field),
                path);
      return;
    }
    SetScalar(node, message, field, path);
  }

  // Sets a singular scalar field, or appends to a repeated one.
  void SetScalar(const YAML::Node& node, Message* message,
                 const FieldDescriptor* field, const std::string& path) {
    if (!node.IsScalar()) {
      Error(path, "expected a single value");
      return;
    }
    const std::string text = node.Scalar();
    const Reflection* r = message->GetReflection();
    const bool add = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        add ? r->AddString(message, field, text)
            : r->SetString(message, field, text);
        return;
      case FieldDescriptor::CPPTYPE_BOOL:
        if (bool v; absl::SimpleAtob(text, &v)) {
          add ? r->AddBool(message, field, v) : r->SetBool(message, field, v);
          return;
        }
        Error(path, absl::StrCat("\"", text, "\" is not true or false"));
        return;
      case FieldDescriptor::CPPTYPE_INT32:
        if (int32_t v; absl::SimpleAtoi(text, &v)) {
          add ? r->AddInt32(message, field, v) : r->SetInt32(message, field, v);
          return;
        }
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        if (int64_t v; absl::SimpleAtoi(text, &v)) {
          add ? r->AddInt64(message, field, v) : r->SetInt64(message, field, v);
          return;
        }
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        if (double v; absl::SimpleAtod(text, &v)) {
          add ? r->AddDouble(message, field, v)
              : r->SetDouble(message, field, v);
          return;
        }
        Error(path, absl::StrCat("\"", text, "\" is not a number"));
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        if (const auto* v = FindEnumValue(field->enum_type(), text)) {
          add ? r->AddEnum(message, field, v) : r->SetEnum(message, field, v);
          return;
        }
        Error(path, UnknownEnum(field->enum_type(), text));
        return;
      default:
        Error(path, "has a type the config format does not support");
        return;
    }
    Error(path, absl::StrCat("\"", text, "\" is not a whole number"));
  }

  // Accepts "sql", "SQL" and "STAGE_SQL" for STAGE_SQL.
  static const EnumValueDescriptor* FindEnumValue(const EnumDescriptor* e,
                                                  const std::string& text) {
    const std::string upper = absl::AsciiStrToUpper(text);
    if (const auto* v = e->FindValueByName(upper)) return v;
    for (int i = 0; i < e->value_count(); ++i) {
      const std::string& name = e->value(i)->name();
      if (name.size() > upper.size() &&
          name.compare(name.size() - upper.size(), upper.size(), upper) == 0 &&
          name[name.size() - upper.size() - 1] == '_') {
        return e->value(i);
      }
    }
    return nullptr;
  }

  static std::string UnknownEnum(const EnumDescriptor* e,
                                 const std::string& text) {
    std::string names;
    for (int i = 1; i < e->value_count(); ++i) {  // 0 is UNSPECIFIED
      const std::string& name = e->value(i)->name();
      absl::StrAppend(&names, names.empty() ? "" : ", ",
                      absl::AsciiStrToLower(ShortName(e, name)));
    }
    return absl::StrCat("\"", text, "\" is not one of: ", names);
  }

  // "TEAM_STRATEGY_ROUND_ROBIN" -> "ROUND_ROBIN" for enum TeamStrategy.
  static std::string ShortName(const EnumDescriptor* e,
                               const std::string& name) {
    std::string prefix;
    for (char c : e->name()) {
      if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) {
        prefix += '_';
      }
      prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    prefix += '_';
    if (name.rfind(prefix, 0) == 0) return name.substr(prefix.size());
    return name;
  }

  YamlPositions* positions_;
  std::vector<routing::ConfigError>* errors_;
};

}  // namespace

void YamlToMessage(const YAML::Node& node, Message* message,
                   YamlPositions* positions,
                   std::vector<routing::ConfigError>* errors) {
  Converter(positions, errors).ToMessage(node, message, "");
}

YamlPosition FindPosition(const YamlPositions& positions, std::string path) {
  while (true) {
    auto it = positions.find(path);
    if (it != positions.end()) return it->second;
    const size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos) break;
    path.resize(cut);
  }
  auto root = positions.find("");
  return root == positions.end() ? YamlPosition{1, 1} : root->second;
}

absl::Status ParseYamlConfig(
    const std::string& text, const std::string& name, const std::string& what,
    google::protobuf::Message* message,
    const std::function<std::vector<routing::ConfigError>()>& validate) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":", e.mark.line + 1, ":", e.mark.column + 1,
        ": not valid YAML: ", e.msg));
  }
  YamlPositions positions;
  std::vector<routing::ConfigError> errors;
  try {
    YamlToMessage(root, message, &positions, &errors);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (errors.empty()) errors = validate();
  if (errors.empty()) return absl::OkStatus();
  std::string report = absl::StrCat(name, ": the ", what, " has ",
                                    errors.size(),
                                    errors.size() == 1 ? " error" : " errors");
  for (const routing::ConfigError& e : errors) {
    const YamlPosition at = FindPosition(positions, e.path);
    absl::StrAppend(&report, "\n", name, ":", at.line, ":", at.column, ": ",
                    e.path, ": ", e.message);
  }
  return absl::InvalidArgumentError(report);
}

}  // namespace leadrouter::server
