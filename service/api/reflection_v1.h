// gRPC server reflection v1 (grpc.reflection.v1.ServerReflection), which Debian's gRPC 1.51 does
// not ship (it serves grpc.reflection.v1alpha only). Answers from the process's generated
// descriptor pool and lists the services the server registered, as the v1alpha plugin does.

#ifndef GPOP_SERVICE_API_REFLECTION_V1_H_
#define GPOP_SERVICE_API_REFLECTION_V1_H_

#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpc/reflection/v1/reflection.pb.h"
#include "grpcpp/impl/server_builder_option.h"

namespace gpop::api {

// ReflectionV1Response
//
// The answer to one request, from `pool`; `services` are the names ListServices reports.
// Unknown files, symbols and extensions: an error_response with NOT_FOUND; a request with no
// message_request: INVALID_ARGUMENT. A file answer holds the file first, then every file it
// imports, directly or not, each once.
grpc::reflection::v1::ServerReflectionResponse ReflectionV1Response(
    const grpc::reflection::v1::ServerReflectionRequest& request,
    const google::protobuf::DescriptorPool& pool, const std::vector<std::string>& services);

// ReflectionV1Option
//
// A ServerBuilder option that adds grpc.reflection.v1 to the server being built, listing the
// services registered on it (its own included).
std::unique_ptr<grpc::ServerBuilderOption> ReflectionV1Option();

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_REFLECTION_V1_H_
