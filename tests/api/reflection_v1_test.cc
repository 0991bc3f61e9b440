#include "service/api/reflection_v1.h"

#include <gtest/gtest.h>

#include <set>

#include "google/protobuf/descriptor.pb.h"
#include "gpop/v1/operations.pb.h"

namespace gpop::api {
namespace {

namespace rv1 = grpc::reflection::v1;

const google::protobuf::DescriptorPool& Pool() {
  v1::Operation touch;  // links operations.proto's descriptors into the generated pool
  (void)touch;
  return *google::protobuf::DescriptorPool::generated_pool();
}

std::vector<google::protobuf::FileDescriptorProto> Files(const rv1::ServerReflectionResponse& r) {
  std::vector<google::protobuf::FileDescriptorProto> files;
  for (const std::string& bytes : r.file_descriptor_response().file_descriptor_proto()) {
    files.emplace_back();
    EXPECT_TRUE(files.back().ParseFromString(bytes));
  }
  return files;
}

TEST(ReflectionV1Test, ListsTheServicesItIsGiven) {
  rv1::ServerReflectionRequest request;
  request.set_host("localhost");
  request.set_list_services("");
  rv1::ServerReflectionResponse response = ReflectionV1Response(
      request, Pool(), {"gpop.v1.GroupPolicyOperations", "grpc.health.v1.Health"});
  EXPECT_EQ(response.valid_host(), "localhost");
  EXPECT_TRUE(response.original_request().has_list_services());
  ASSERT_EQ(response.list_services_response().service_size(), 2);
  EXPECT_EQ(response.list_services_response().service(0).name(), "gpop.v1.GroupPolicyOperations");
  EXPECT_EQ(response.list_services_response().service(1).name(), "grpc.health.v1.Health");
}

TEST(ReflectionV1Test, FileBySymbolComesWithEveryImportOnce) {
  rv1::ServerReflectionRequest request;
  request.set_file_containing_symbol("gpop.v1.GroupPolicyOperations.StartOperation");
  std::vector<google::protobuf::FileDescriptorProto> files =
      Files(ReflectionV1Response(request, Pool(), {}));
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].name(), "gpop/v1/operations.proto");
  ASSERT_GT(files[0].service_size(), 0);
  EXPECT_EQ(files[0].service(0).name(), "GroupPolicyOperations");
  std::set<std::string> sent;
  for (const auto& f : files) EXPECT_TRUE(sent.insert(f.name()).second) << f.name() << " twice";
  for (const auto& f : files) {
    for (const std::string& dependency : f.dependency()) {
      EXPECT_EQ(sent.count(dependency), 1u) << f.name() << " imports " << dependency;
    }
  }
  EXPECT_EQ(sent.count("google/protobuf/timestamp.proto"), 1u);
}

TEST(ReflectionV1Test, FileByName) {
  rv1::ServerReflectionRequest request;
  request.set_file_by_filename("google/protobuf/timestamp.proto");
  std::vector<google::protobuf::FileDescriptorProto> files =
      Files(ReflectionV1Response(request, Pool(), {}));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].message_type(0).name(), "Timestamp");
}

TEST(ReflectionV1Test, UnknownNamesAreNotFound) {
  for (int which = 0; which < 4; ++which) {
    rv1::ServerReflectionRequest request;
    if (which == 0) request.set_file_by_filename("no/such.proto");
    if (which == 1) request.set_file_containing_symbol("gpop.v1.NoSuchMessage");
    if (which == 2) {
      request.mutable_file_containing_extension()->set_containing_type("gpop.v1.Operation");
      request.mutable_file_containing_extension()->set_extension_number(4242);
    }
    if (which == 3) request.set_all_extension_numbers_of_type("gpop.v1.NoSuchMessage");
    rv1::ServerReflectionResponse response = ReflectionV1Response(request, Pool(), {});
    EXPECT_EQ(response.error_response().error_code(), 5) << which;  // NOT_FOUND
    EXPECT_FALSE(response.error_response().error_message().empty()) << which;
  }
}

TEST(ReflectionV1Test, ExtensionNumbersOfAKnownType) {
  rv1::ServerReflectionRequest request;
  request.set_all_extension_numbers_of_type("gpop.v1.Operation");
  rv1::ServerReflectionResponse response = ReflectionV1Response(request, Pool(), {});
  ASSERT_TRUE(response.has_all_extension_numbers_response());
  EXPECT_EQ(response.all_extension_numbers_response().base_type_name(), "gpop.v1.Operation");
  EXPECT_EQ(response.all_extension_numbers_response().extension_number_size(), 0);
}

TEST(ReflectionV1Test, AnEmptyRequestIsInvalid) {
  rv1::ServerReflectionResponse response =
      ReflectionV1Response(rv1::ServerReflectionRequest(), Pool(), {});
  EXPECT_EQ(response.error_response().error_code(), 3);  // INVALID_ARGUMENT
}

}  // namespace
}  // namespace gpop::api
