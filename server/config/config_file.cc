// Two passes report errors: the YAML-to-proto pass (syntax, unknown keys,
// wrong types) and routing's ValidateConfig (codes, references, ranges).
// Both name field paths; the positions recorded in the first pass turn those
// paths into lines.
#include "server/config/config_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "routing/config_validation.h"
#include "server/config/yaml_to_proto.h"

namespace leadrouter::server {

namespace {

// Appends the accounts of `path` ("domain,owner" lines) to `config` and
// clears accounts_file; `lines` gets the line of each account appended.
// Errors are about the file's lines.
std::vector<routing::ConfigError> ReadAccountsFile(
    const std::string& path, leadrouter::v1::RoutingConfig* config,
    std::vector<int>* lines) {
  std::vector<routing::ConfigError> errors;
  std::ifstream in(path);
  if (!in) {
    errors.push_back({"accounts_file", absl::StrCat(path, ": cannot be read")});
    return errors;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(text, ',');
    if (fields.size() != 2) {
      errors.push_back({"accounts_file",
                        absl::StrCat(path, ":", number,
                                     ": expected \"domain,owner\"")});
      if (errors.size() >= 20) break;
      continue;
    }
    leadrouter::v1::Account* account = config->add_accounts();
    account->set_domain(absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(fields[0])));
    account->set_owner(std::string(absl::StripAsciiWhitespace(fields[1])));
    lines->push_back(number);
  }
  config->clear_accounts_file();
  return errors;
}

// ParseConfigYaml; `dir` (when not empty) is where accounts_file is.
absl::StatusOr<leadrouter::v1::RoutingConfig> Parse(const std::string& text,
                                                    const std::string& name,
                                                    const std::string& dir) {
  leadrouter::v1::RoutingConfig config;
  absl::Status parsed = ParseYamlConfig(
      text, name, "routing config", &config, [&] {
        if (dir.empty() || config.accounts_file().empty()) {
          return routing::ValidateConfig(config);
        }
        const std::string file =
            (std::filesystem::path(dir) / config.accounts_file()).string();
        const int inline_accounts = config.accounts_size();
        std::vector<int> lines;
        std::vector<routing::ConfigError> errors =
            ReadAccountsFile(file, &config, &lines);
        if (!errors.empty()) return errors;
        errors = routing::ValidateConfig(config);
        // An error about an account from the file names its line.
        for (routing::ConfigError& e : errors) {
          int index = 0;
          if (!absl::StartsWith(e.path, "accounts[")) continue;
          const absl::string_view digits =
              absl::string_view(e.path).substr(9, e.path.find(']') - 9);
          if (!absl::SimpleAtoi(digits, &index) || index < inline_accounts) {
            continue;
          }
          e.message = absl::StrCat(file, ":", lines[index - inline_accounts],
                                   ": ", e.path.substr(e.path.find(']') + 1),
                                   " ", e.message);
          e.path = "accounts_file";
        }
        return errors;
      });
  if (!parsed.ok()) return parsed;
  return config;
}

}  // namespace

absl::StatusOr<leadrouter::v1::RoutingConfig> ParseConfigYaml(
    const std::string& text, const std::string& name) {
  return Parse(text, name, "");
}

absl::StatusOr<leadrouter::v1::RoutingConfig> LoadConfigFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot read the routing config file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path,
               std::filesystem::path(path).parent_path().string());
}

absl::StatusOr<std::shared_ptr<const routing::RoutingTable>> LoadRoutingTable(
    const std::string& path) {
  absl::StatusOr<leadrouter::v1::RoutingConfig> config = LoadConfigFile(path);
  if (!config.ok()) return config.status();
  return routing::RoutingTable::Create(*std::move(config));
}

}  // namespace leadrouter::server
