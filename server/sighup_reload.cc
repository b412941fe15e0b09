#include "server/sighup_reload.h"

#include "absl/strings/str_cat.h"
#include "server/auth/auth_file.h"
#include "server/log.h"

namespace leadrouter::server {

void ReloadOnSignal(RunningConfig& running_config,
                    const std::string& auth_config_path,
                    Authorizer& authorizer, AuditTrail& audit) {
  leadrouter::v1::AuditEvent e;
  e.set_principal("sighup");
  e.set_peer("local");
  e.set_method("SIGHUP");
  e.add_targets("config");
  const std::string before = running_config.Get().table->version();
  absl::StatusOr<RunningConfig::Applied> applied = running_config.ReloadFile();
  e.set_version_before(before);
  e.set_version_after(running_config.Get().table->version());
  e.set_code(static_cast<int>(applied.status().code()));
  if (applied.ok()) {
    for (const std::string& c : applied->changes) e.add_changes(c);
    e.set_detail(applied->applied ? "config file re-read"
                                  : "config file unchanged");
  } else {
    e.set_detail("config file refused; the running config stays");
  }
  audit.Record(e).IgnoreError();
  if (auth_config_path.empty() || !authorizer.enabled()) return;

  leadrouter::v1::AuditEvent a;
  a.set_principal("sighup");
  a.set_peer("local");
  a.set_method("SIGHUP");
  a.add_targets("auth");
  a.set_version_before(e.version_after());
  a.set_version_after(e.version_after());
  absl::StatusOr<leadrouter::v1::AuthConfig> auth =
      LoadAuthFile(auth_config_path);
  a.set_code(static_cast<int>(auth.status().code()));
  if (auth.ok()) {
    authorizer.Replace(*auth);
    LogInfo("auth_config_reloaded",
            {{"principals", absl::StrCat(auth->principals_size())}});
    a.set_detail(absl::StrCat("auth file re-read: ", auth->principals_size(),
                              " principals"));
  } else {
    LogError("auth_config_reload_refused",
             {{"auth_config", auth_config_path},
              {"error", std::string(auth.status().message())}});
    a.set_detail("auth file refused; the running principals stay");
  }
  audit.Record(a).IgnoreError();
}

}  // namespace leadrouter::server
