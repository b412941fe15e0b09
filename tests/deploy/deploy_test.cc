// deploy/ against the code it deploys: the routing config in the ConfigMap
// loads, the Deployment's probes, ports, volumes and grace period fit
// leadrouterd, and every metric the dashboard and the alerts query is one
// leadrouterd exports.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "server/config/config_file.h"
#include "server/metrics/metrics.h"
#include "yaml-cpp/yaml.h"

namespace leadrouter {
namespace {

std::string Path(const std::string& relative) {
  return std::string(LEADROUTER_SOURCE_DIR) + "/deploy/" + relative;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Kubernetes, TheConfigMapHoldsAValidRoutingConfig) {
  YAML::Node map = YAML::LoadFile(Path("kubernetes/configmap.yaml"));
  const std::string file = ::testing::TempDir() + "/configmap-routing.yaml";
  std::ofstream(file) << map["data"]["routing.yaml"].as<std::string>();
  auto table = server::LoadRoutingTable(file);
  EXPECT_TRUE(table.ok()) << table.status();
}

TEST(Kubernetes, TheDeploymentFitsLeadrouterd) {
  YAML::Node deployment = YAML::LoadFile(Path("kubernetes/deployment.yaml"));
  YAML::Node service = YAML::LoadFile(Path("kubernetes/service.yaml"));
  YAML::Node pvc = YAML::LoadFile(Path("kubernetes/pvc.yaml"));
  YAML::Node map = YAML::LoadFile(Path("kubernetes/configmap.yaml"));
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  const YAML::Node c = pod["containers"][0];

  // One writer per data directory.
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 1);
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(),
            "Recreate");
  std::map<std::string, int> ports;
  for (const auto& p : c["ports"]) {
    ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
  }
  EXPECT_EQ(ports["grpc"], 50051);
  EXPECT_EQ(ports["metrics"], 9464);
  // gRPC health probes on the plaintext health port the image opens
  // (Kubernetes' gRPC probes cannot speak TLS).
  EXPECT_EQ(ports["health"], 8081);
  EXPECT_EQ(c["readinessProbe"]["grpc"]["port"].as<int>(), ports["health"]);
  EXPECT_EQ(c["livenessProbe"]["grpc"]["port"].as<int>(), ports["health"]);
  const std::string dockerfile = Read(Path("Dockerfile"));
  EXPECT_THAT(dockerfile, ::testing::HasSubstr("--health_listen=0.0.0.0:8081"));
  // Secure by default: the image serves TLS and checks callers, from the
  // directories the Deployment mounts its Secrets at.
  std::set<std::string> mounts;
  for (const auto& m : c["volumeMounts"]) {
    mounts.insert(m["mountPath"].as<std::string>());
  }
  for (const char* flag : {"--tls_cert=/etc/leadrouter-tls/tls.crt",
                           "--tls_key=/etc/leadrouter-tls/tls.key",
                           "--auth_config=/etc/leadrouter-auth/auth.yaml"}) {
    EXPECT_THAT(dockerfile, ::testing::HasSubstr(flag));
  }
  EXPECT_TRUE(mounts.contains("/etc/leadrouter-tls"));
  EXPECT_TRUE(mounts.contains("/etc/leadrouter-auth"));
  EXPECT_TRUE(c["lifecycle"]["preStop"]);
  // The drain fits in the grace period, after the preStop pause.
  absl::Duration drain = absl::Seconds(10);  // leadrouterd's default
  for (const auto& arg : c["args"]) {
    const std::string a = arg.as<std::string>();
    if (absl::StartsWith(a, "--drain_timeout=")) {
      ASSERT_TRUE(absl::ParseDuration(a.substr(16), &drain)) << a;
    }
  }
  EXPECT_LT(drain + absl::Seconds(5),
            absl::Seconds(pod["terminationGracePeriodSeconds"].as<int>()));
  // The Service targets ports the container has, by name.
  for (const auto& p : service["spec"]["ports"]) {
    EXPECT_TRUE(ports.contains(p["targetPort"].as<std::string>()))
        << p["targetPort"];
  }
  EXPECT_EQ(service["metadata"]["annotations"]["prometheus.io/port"]
                .as<std::string>(),
            absl::StrCat(ports["metrics"]));
  // Volumes name the claim and the config map of this folder, and the
  // config lands where the image's CMD looks for it.
  std::set<std::string> claims, maps;
  for (const auto& v : pod["volumes"]) {
    if (v["persistentVolumeClaim"]) {
      claims.insert(v["persistentVolumeClaim"]["claimName"].as<std::string>());
    }
    if (v["configMap"]) maps.insert(v["configMap"]["name"].as<std::string>());
    if (v["secret"]) {
      EXPECT_THAT(v["secret"]["secretName"].as<std::string>(),
                  ::testing::AnyOf("leadrouter-tls", "leadrouter-auth"));
    }
  }
  EXPECT_THAT(claims, ::testing::ElementsAre(
                          pvc["metadata"]["name"].as<std::string>()));
  EXPECT_THAT(maps, ::testing::ElementsAre(
                        map["metadata"]["name"].as<std::string>()));
  EXPECT_THAT(Read(Path("Dockerfile")),
              ::testing::HasSubstr("/etc/leadrouter/routing.yaml"));
}

// The three-replica variant: rolling updates that never drop below three
// ready pods, a disruption budget over the same pods, readiness on the
// store (the health port), the database from a Secret (never a password
// on a command line), and a migration job that runs --migrate_only.
TEST(Kubernetes, TheReplicasVariantFitsLeadrouterd) {
  YAML::Node deployment =
      YAML::LoadFile(Path("kubernetes/replicas/deployment.yaml"));
  YAML::Node pdb = YAML::LoadFile(Path("kubernetes/replicas/pdb.yaml"));
  YAML::Node job = YAML::LoadFile(Path("kubernetes/replicas/migrate-job.yaml"));
  YAML::Node secret =
      YAML::LoadFile(Path("kubernetes/replicas/database-secret.example.yaml"));
  const YAML::Node pod = deployment["spec"]["template"]["spec"];
  const YAML::Node c = pod["containers"][0];
  EXPECT_EQ(deployment["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(deployment["spec"]["strategy"]["type"].as<std::string>(),
            "RollingUpdate");
  EXPECT_EQ(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"]
                .as<int>(),
            0);
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
                .as<std::string>(),
            deployment["spec"]["template"]["metadata"]["labels"]
                      ["app.kubernetes.io/name"]
                          .as<std::string>());
  EXPECT_LT(pdb["spec"]["minAvailable"].as<int>(), 3);
  EXPECT_EQ(c["readinessProbe"]["grpc"]["port"].as<int>(), 8081);
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  EXPECT_THAT(args, ::testing::Contains("--store=postgresql://"));
  for (const std::string& a : args) {
    EXPECT_THAT(a, ::testing::Not(::testing::HasSubstr("password")));
  }
  const std::string secret_name =
      secret["metadata"]["name"].as<std::string>();
  EXPECT_EQ(c["envFrom"][0]["secretRef"]["name"].as<std::string>(),
            secret_name);
  EXPECT_TRUE(secret["stringData"]["PGPASSWORD"]);
  // No volume claim: the store is the database.
  for (const auto& v : pod["volumes"]) {
    EXPECT_FALSE(v["persistentVolumeClaim"]) << v;
  }
  const YAML::Node m = job["spec"]["template"]["spec"]["containers"][0];
  std::vector<std::string> command;
  for (const auto& a : m["command"]) command.push_back(a.as<std::string>());
  EXPECT_THAT(command, ::testing::Contains("--migrate_only"));
  EXPECT_EQ(m["envFrom"][0]["secretRef"]["name"].as<std::string>(),
            secret_name);
  EXPECT_THAT(Read(Path("Dockerfile")), ::testing::HasSubstr("libpq5"));
}

// Metric names in a PromQL expression (leadrouter_* and grpc_server_*).
std::set<std::string> MetricsIn(const std::string& expr) {
  std::set<std::string> names;
  const std::regex metric(R"((leadrouter|grpc_server)_[a-z_]+)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// A series name of an exported family: the family itself, or one of a
// histogram's _bucket / _count / _sum series.
bool IsExported(const std::set<std::string>& families, std::string name) {
  if (families.contains(name)) return true;
  for (const std::string suffix : {"_bucket", "_count", "_sum"}) {
    if (absl::EndsWith(name, suffix) &&
        families.contains(name.substr(0, name.size() - suffix.size()))) {
      return true;
    }
  }
  return false;
}

std::set<std::string> Exported() {
  // A family is exported once it has a child: give each one.
  server::Metrics metrics;
  metrics.Rpc("/leadrouter.v1.LeadRouter/RouteLead",
              server::Metrics::RpcType::kUnary);
  metrics.LeadRouted("r", "t", "webinar", server::Metrics::Outcome::kAssigned);
  metrics.ResponseTimeLapsed("t", false);
  metrics.ResponseTimeLapsed("t", true);
  metrics.ConfigLoaded("cfg-0", absl::Now());
  std::set<std::string> names = {"leadrouter_open_assignments",
                                 "leadrouter_team_capacity",
                                 "leadrouter_queue_depth"};  // RoutingGauges
  for (const auto& family : metrics.registry()->Collect()) {
    names.insert(family.name);
  }
  return names;
}

TEST(Observability, TheDashboardQueriesOnlyExportedMetrics) {
  google::protobuf::Struct dashboard;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  Read(Path("grafana/leadrouter.json")), &dashboard)
                  .ok());
  const std::set<std::string> exported = Exported();
  int queries = 0;
  for (const auto& panel : dashboard.fields().at("panels").list_value().values()) {
    for (const auto& target :
         panel.struct_value().fields().at("targets").list_value().values()) {
      const std::string expr =
          target.struct_value().fields().at("expr").string_value();
      ++queries;
      for (const std::string& name : MetricsIn(expr)) {
        EXPECT_TRUE(IsExported(exported, name)) << name << " in " << expr;
      }
    }
  }
  EXPECT_GE(queries, 10);
}

TEST(Observability, TheAlertsQueryOnlyExportedMetrics) {
  YAML::Node rules = YAML::LoadFile(Path("prometheus/alerts.yml"));
  const std::set<std::string> exported = Exported();
  int alerts = 0;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      ++alerts;
      for (const std::string& name : MetricsIn(rule["expr"].as<std::string>())) {
        EXPECT_TRUE(IsExported(exported, name))
            << name << " in alert " << rule["alert"];
      }
    }
  }
  EXPECT_GE(alerts, 6);
}

}  // namespace
}  // namespace leadrouter
