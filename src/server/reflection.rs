//! gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) over the service's
//! descriptors, by the protocol: every request in a stream gets its own answer, an
//! `ErrorResponse` for a file or symbol the server does not know, and the stream goes
//! on. tonic-reflection (0.14) ends the whole stream at the first unknown name, with
//! the name copied whole into its message (a 1 MiB symbol, a 1 MiB message); its
//! generated messages and servers are used here, only the index and the stream loop
//! are ours.

use prost::Message;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Characters of a name an error message repeats; the rest is cut.
const NAME_SHOWN: usize = 120;

/// The files the server describes, and the fully qualified names they define.
#[derive(Debug, Default)]
pub struct Descriptors {
    /// File name -> its encoded FileDescriptorProto and the files it imports.
    files: BTreeMap<String, (Vec<u8>, Vec<String>)>,
    /// Fully qualified name (package.Message, package.Service.Method, ...) -> file.
    symbols: HashMap<String, String>,
    services: Vec<String>,
}

/// One reflection question, whatever the protocol version.
#[derive(Debug)]
pub enum Query<'a> {
    FileByName(&'a str),
    FileContainingSymbol(&'a str),
    FileContainingExtension(&'a str, i32),
    ExtensionNumbersOf(&'a str),
    ListServices,
    /// A request that asks nothing.
    Nothing,
}

/// Its answer.
#[derive(Debug, PartialEq)]
pub enum Answer {
    /// The file asked for first, then every file it imports, directly or not.
    Files(Vec<Vec<u8>>),
    ExtensionNumbers {
        type_name: String,
        numbers: Vec<i32>,
    },
    Services(Vec<String>),
    Error {
        code: tonic::Code,
        message: String,
    },
}

fn shown(name: &str) -> String {
    match name.char_indices().nth(NAME_SHOWN) {
        Some((cut, _)) => format!("'{}…' ({} bytes)", &name[..cut], name.len()),
        None => format!("'{name}'"),
    }
}

fn not_found(what: &str, name: &str) -> Answer {
    Answer::Error {
        code: tonic::Code::NotFound,
        message: format!("{what} {} not found", shown(name)),
    }
}

impl Descriptors {
    /// The files of encoded FileDescriptorSets (the first registration of a file name
    /// wins), with every service they declare listed.
    pub fn from_sets(sets: &[&[u8]]) -> Result<Descriptors, prost::DecodeError> {
        let mut descriptors = Descriptors::default();
        for set in sets {
            for file in prost_types::FileDescriptorSet::decode(*set)?.file {
                descriptors.add(file);
            }
        }
        descriptors.services.sort();
        Ok(descriptors)
    }

    fn add(&mut self, file: prost_types::FileDescriptorProto) {
        let name = file.name().to_string();
        if self.files.contains_key(&name) {
            return;
        }
        let package = file.package();
        let mut symbols = Vec::new();
        for message in &file.message_type {
            message_symbols(package, message, &mut symbols);
        }
        for e in &file.enum_type {
            enum_symbols(package, e, &mut symbols);
        }
        for service in &file.service {
            let service_name = qualified(package, service.name());
            for method in &service.method {
                symbols.push(qualified(&service_name, method.name()));
            }
            self.services.push(service_name.clone());
            symbols.push(service_name);
        }
        for symbol in symbols {
            self.symbols.entry(symbol).or_insert_with(|| name.clone());
        }
        let imports = file.dependency.clone();
        self.files.insert(name, (file.encode_to_vec(), imports));
    }

    /// Answers one question.
    pub fn answer(&self, query: Query<'_>) -> Answer {
        match query {
            Query::FileByName(name) => match self.files.contains_key(name) {
                true => Answer::Files(self.with_imports(name)),
                false => not_found("file", name),
            },
            Query::FileContainingSymbol(symbol) => match self.symbols.get(symbol) {
                Some(file) => Answer::Files(self.with_imports(file)),
                None => not_found("symbol", symbol),
            },
            // No file here declares extensions.
            Query::FileContainingExtension(type_name, number) => Answer::Error {
                code: tonic::Code::NotFound,
                message: format!("extension {number} of {} not found", shown(type_name)),
            },
            Query::ExtensionNumbersOf(type_name) => match self.symbols.contains_key(type_name) {
                true => Answer::ExtensionNumbers {
                    type_name: type_name.to_string(),
                    numbers: Vec::new(),
                },
                false => not_found("type", type_name),
            },
            Query::ListServices => Answer::Services(self.services.clone()),
            Query::Nothing => Answer::Error {
                code: tonic::Code::InvalidArgument,
                message: "the request asks nothing (no message_request set)".to_string(),
            },
        }
    }

    /// `file`'s encoding, then those of the files it imports, transitively, each once.
    fn with_imports(&self, file: &str) -> Vec<Vec<u8>> {
        let mut order = vec![file.to_string()];
        let mut next = 0;
        while next < order.len() {
            if let Some((_, imports)) = self.files.get(&order[next]) {
                for import in imports {
                    if !order.contains(import) {
                        order.push(import.clone());
                    }
                }
            }
            next += 1;
        }
        order
            .iter()
            .filter_map(|name| self.files.get(name).map(|(bytes, _)| bytes.clone()))
            .collect()
    }
}

fn qualified(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

fn message_symbols(scope: &str, message: &prost_types::DescriptorProto, out: &mut Vec<String>) {
    let name = qualified(scope, message.name());
    for nested in &message.nested_type {
        message_symbols(&name, nested, out);
    }
    for e in &message.enum_type {
        enum_symbols(&name, e, out);
    }
    for field in &message.field {
        out.push(qualified(&name, field.name()));
    }
    for oneof in &message.oneof_decl {
        out.push(qualified(&name, oneof.name()));
    }
    out.push(name);
}

fn enum_symbols(scope: &str, e: &prost_types::EnumDescriptorProto, out: &mut Vec<String>) {
    let name = qualified(scope, e.name());
    // Enum values are scoped like their enum's siblings (protobuf's C++ rule), and
    // also found under the enum's own name.
    for value in &e.value {
        out.push(qualified(&name, value.name()));
        out.push(qualified(scope, value.name()));
    }
    out.push(name);
}

/// The reflection service of one protocol version: the same stream loop over the
/// version's own generated types.
macro_rules! reflection_service {
    ($version:ident) => {
        pub mod $version {
            use super::{Answer, Descriptors, Query};
            use std::sync::Arc;
            use tokio_stream::wrappers::ReceiverStream;
            use tonic::{Request, Response, Status, Streaming};
            use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
            use tonic_reflection::pb::$version::server_reflection_server::{
                ServerReflection, ServerReflectionServer,
            };
            use tonic_reflection::pb::$version::{
                ErrorResponse, ExtensionNumberResponse, FileDescriptorResponse,
                ListServiceResponse, ServerReflectionRequest, ServerReflectionResponse,
                ServiceResponse,
            };

            pub struct Reflection(pub Arc<Descriptors>);

            pub fn server(descriptors: Arc<Descriptors>) -> ServerReflectionServer<Reflection> {
                ServerReflectionServer::new(Reflection(descriptors))
            }

            fn respond(
                descriptors: &Descriptors,
                request: ServerReflectionRequest,
            ) -> ServerReflectionResponse {
                let query = match &request.message_request {
                    Some(MessageRequest::FileByFilename(name)) => Query::FileByName(name),
                    Some(MessageRequest::FileContainingSymbol(symbol)) => {
                        Query::FileContainingSymbol(symbol)
                    }
                    Some(MessageRequest::FileContainingExtension(e)) => {
                        Query::FileContainingExtension(&e.containing_type, e.extension_number)
                    }
                    Some(MessageRequest::AllExtensionNumbersOfType(type_name)) => {
                        Query::ExtensionNumbersOf(type_name)
                    }
                    Some(MessageRequest::ListServices(_)) => Query::ListServices,
                    None => Query::Nothing,
                };
                let answer = match descriptors.answer(query) {
                    Answer::Files(files) => {
                        MessageResponse::FileDescriptorResponse(FileDescriptorResponse {
                            file_descriptor_proto: files,
                        })
                    }
                    Answer::ExtensionNumbers { type_name, numbers } => {
                        MessageResponse::AllExtensionNumbersResponse(ExtensionNumberResponse {
                            base_type_name: type_name,
                            extension_number: numbers,
                        })
                    }
                    Answer::Services(names) => {
                        MessageResponse::ListServicesResponse(ListServiceResponse {
                            service: names
                                .into_iter()
                                .map(|name| ServiceResponse { name })
                                .collect(),
                        })
                    }
                    Answer::Error { code, message } => {
                        MessageResponse::ErrorResponse(ErrorResponse {
                            error_code: code as i32,
                            error_message: message,
                        })
                    }
                };
                ServerReflectionResponse {
                    valid_host: request.host.clone(),
                    original_request: Some(request),
                    message_response: Some(answer),
                }
            }

            #[tonic::async_trait]
            impl ServerReflection for Reflection {
                type ServerReflectionInfoStream =
                    ReceiverStream<Result<ServerReflectionResponse, Status>>;

                async fn server_reflection_info(
                    &self,
                    request: Request<Streaming<ServerReflectionRequest>>,
                ) -> Result<Response<Self::ServerReflectionInfoStream>, Status> {
                    let mut requests = request.into_inner();
                    let (answers, stream) = tokio::sync::mpsc::channel(4);
                    let descriptors = self.0.clone();
                    tokio::spawn(async move {
                        loop {
                            let next = tokio::select! {
                                _ = answers.closed() => return,
                                next = requests.message() => next,
                            };
                            let answer = match next {
                                Ok(Some(request)) => Ok(respond(&descriptors, request)),
                                Ok(None) => return,
                                // The request stream itself failed (too large, cut
                                // off): that ends the call, with its status.
                                Err(status) => Err(status),
                            };
                            let failed = answer.is_err();
                            if answers.send(answer).await.is_err() || failed {
                                return;
                            }
                        }
                    });
                    Ok(Response::new(ReceiverStream::new(stream)))
                }
            }
        }
    };
}

reflection_service!(v1);
reflection_service!(v1alpha);

/// The reflection services of both versions over `sets`.
pub fn services(
    sets: &[&[u8]],
) -> Result<
    (
        tonic_reflection::pb::v1::server_reflection_server::ServerReflectionServer<v1::Reflection>,
        tonic_reflection::pb::v1alpha::server_reflection_server::ServerReflectionServer<
            v1alpha::Reflection,
        >,
    ),
    prost::DecodeError,
> {
    let descriptors = Arc::new(Descriptors::from_sets(sets)?);
    Ok((
        v1::server(descriptors.clone()),
        v1alpha::server(descriptors),
    ))
}

#[cfg(test)]
mod tests {
    use super::{Answer, Descriptors, Query};
    use prost::Message;

    fn ours() -> Descriptors {
        Descriptors::from_sets(&[
            crate::wire::proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ])
        .unwrap()
    }

    fn file_names(answer: Answer) -> Vec<String> {
        let Answer::Files(files) = answer else {
            panic!("{answer:?}")
        };
        files
            .iter()
            .map(|f| {
                prost_types::FileDescriptorProto::decode(f.as_slice())
                    .unwrap()
                    .name()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn every_service_is_listed() {
        assert_eq!(
            ours().answer(Query::ListServices),
            Answer::Services(vec![
                "fluidity.v1.FluidityService".to_string(),
                "fluidity.v1.PlanLifecycleService".to_string(),
                "grpc.health.v1.Health".to_string()
            ])
        );
    }

    #[test]
    fn services_methods_messages_fields_and_enum_values_are_found_in_their_file() {
        let descriptors = ours();
        for symbol in [
            "fluidity.v1.FluidityService",
            "fluidity.v1.FluidityService.Plan",
            "fluidity.v1.PlanRequest",
            "fluidity.v1.PlanRequest.scenario",
            "grpc.health.v1.HealthCheckResponse.ServingStatus",
            "grpc.health.v1.HealthCheckResponse.SERVING",
        ] {
            let files = file_names(descriptors.answer(Query::FileContainingSymbol(symbol)));
            assert!(!files.is_empty(), "{symbol}");
        }
    }

    #[test]
    fn a_file_comes_with_every_file_it_imports() {
        let descriptors = ours();
        for (name, (_, imports)) in &descriptors.files {
            let files = file_names(descriptors.answer(Query::FileByName(name)));
            assert_eq!(&files[0], name);
            for import in imports {
                assert!(files.contains(import), "{name} without {import}");
            }
        }
    }

    #[test]
    fn an_unknown_name_is_not_found_and_a_huge_one_is_cut_in_the_message() {
        let huge = "x".repeat(1 << 20);
        let Answer::Error { code, message } = ours().answer(Query::FileContainingSymbol(&huge))
        else {
            panic!("an error")
        };
        assert_eq!(code, tonic::Code::NotFound);
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains("1048576 bytes"), "{message}");
    }
}
