// grpc.reflection.v1 (see reflection_v1.h).

#include "service/api/reflection_v1.h"

#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/impl/server_builder_plugin.h"
#include "grpcpp/impl/server_initializer.h"

namespace gpop::api {
namespace {

namespace v1 = grpc::reflection::v1;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;

constexpr int kNotFound = 5;         // google.rpc.Code
constexpr int kInvalidArgument = 3;  // google.rpc.Code

void SetError(int code, const std::string& message, v1::ServerReflectionResponse* response) {
  response->mutable_error_response()->set_error_code(code);
  response->mutable_error_response()->set_error_message(message);
}

// `file` and its imports, depth first, each once.
void AddFile(const FileDescriptor* file, std::set<std::string>* seen,
             v1::FileDescriptorResponse* out) {
  if (!seen->insert(file->name()).second) return;
  google::protobuf::FileDescriptorProto proto;
  file->CopyTo(&proto);
  out->add_file_descriptor_proto(proto.SerializeAsString());
  for (int i = 0; i < file->dependency_count(); ++i) AddFile(file->dependency(i), seen, out);
}

void AnswerFile(const FileDescriptor* file, const std::string& what,
                v1::ServerReflectionResponse* response) {
  if (file == nullptr) {
    SetError(kNotFound, what + " is not known to this server", response);
    return;
  }
  std::set<std::string> seen;
  AddFile(file, &seen, response->mutable_file_descriptor_response());
}

// One stream: reads a request, writes its answer, reads the next; Finish once the client is
// done or the call is cancelled. Freed in OnDone.
class ReflectionReactor final
    : public grpc::ServerBidiReactor<v1::ServerReflectionRequest, v1::ServerReflectionResponse> {
 public:
  explicit ReflectionReactor(const std::vector<std::string>* services) : services_(services) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed, or the call is gone
      Finish(grpc::Status::OK);
      return;
    }
    static const std::vector<std::string> kNone;
    response_ = ReflectionV1Response(request_, *DescriptorPool::generated_pool(),
                                     services_ != nullptr ? *services_ : kNone);
    StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the reflection stream was cut"));
      return;
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const std::vector<std::string>* const services_;  // the server's; outlives its calls
  v1::ServerReflectionRequest request_;
  v1::ServerReflectionResponse response_;
};

// Thread-safe: the service list is written while the server is built, before any call.
class ReflectionService final : public v1::ServerReflection::CallbackService {
 public:
  void set_services(const std::vector<std::string>* services) { services_ = services; }

  grpc::ServerBidiReactor<v1::ServerReflectionRequest, v1::ServerReflectionResponse>*
  ServerReflectionInfo(grpc::CallbackServerContext*) override {
    return new ReflectionReactor(services_);
  }

 private:
  const std::vector<std::string>* services_ = nullptr;
};

// Registers the service on the server being built; hands it the server's service list.
class ReflectionPlugin final : public grpc::ServerBuilderPlugin {
 public:
  std::string name() override { return "gpop_reflection_v1"; }
  void InitServer(grpc::ServerInitializer* si) override { si->RegisterService(service_); }
  void Finish(grpc::ServerInitializer* si) override {
    service_->set_services(si->GetServiceList());
  }
  void ChangeArguments(const std::string&, void*) override {}

 private:
  std::shared_ptr<ReflectionService> service_ = std::make_shared<ReflectionService>();
};

class AddReflectionPlugin final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    plugins->push_back(std::make_unique<ReflectionPlugin>());
  }
};

}  // namespace

v1::ServerReflectionResponse ReflectionV1Response(const v1::ServerReflectionRequest& request,
                                                  const DescriptorPool& pool,
                                                  const std::vector<std::string>& services) {
  v1::ServerReflectionResponse response;
  response.set_valid_host(request.host());
  *response.mutable_original_request() = request;
  switch (request.message_request_case()) {
    case v1::ServerReflectionRequest::kFileByFilename:
      AnswerFile(pool.FindFileByName(request.file_by_filename()),
                 "file " + request.file_by_filename(), &response);
      break;
    case v1::ServerReflectionRequest::kFileContainingSymbol:
      AnswerFile(pool.FindFileContainingSymbol(request.file_containing_symbol()),
                 "symbol " + request.file_containing_symbol(), &response);
      break;
    case v1::ServerReflectionRequest::kFileContainingExtension: {
      const v1::ExtensionRequest& ext = request.file_containing_extension();
      const google::protobuf::Descriptor* type = pool.FindMessageTypeByName(ext.containing_type());
      const google::protobuf::FieldDescriptor* field =
          type == nullptr ? nullptr : pool.FindExtensionByNumber(type, ext.extension_number());
      AnswerFile(
          field == nullptr ? nullptr : field->file(),
          "extension " + std::to_string(ext.extension_number()) + " of " + ext.containing_type(),
          &response);
      break;
    }
    case v1::ServerReflectionRequest::kAllExtensionNumbersOfType: {
      const google::protobuf::Descriptor* type =
          pool.FindMessageTypeByName(request.all_extension_numbers_of_type());
      if (type == nullptr) {
        SetError(kNotFound, "type " + request.all_extension_numbers_of_type() + " is not known",
                 &response);
        break;
      }
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool.FindAllExtensions(type, &extensions);
      v1::ExtensionNumberResponse* out = response.mutable_all_extension_numbers_response();
      out->set_base_type_name(type->full_name());
      for (const google::protobuf::FieldDescriptor* e : extensions) {
        out->add_extension_number(e->number());
      }
      break;
    }
    case v1::ServerReflectionRequest::kListServices:
      for (const std::string& name : services) {
        response.mutable_list_services_response()->add_service()->set_name(name);
      }
      break;
    case v1::ServerReflectionRequest::MESSAGE_REQUEST_NOT_SET:
      SetError(kInvalidArgument, "the request asks for nothing (no message_request)", &response);
      break;
  }
  return response;
}

std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option() {
  return std::make_unique<AddReflectionPlugin>();
}

}  // namespace gpop::api
