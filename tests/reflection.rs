//! Server reflection by its protocol (grpc.reflection v1 and v1alpha): each request in
//! a stream gets its answer, an unknown or huge name an in-stream NOT_FOUND with the
//! name cut short, and the stream goes on to answer what comes next.

use fluidity::server::{serve, ServerConfig};
use tonic::transport::Channel;

async fn server() -> Channel {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(
        listener,
        ServerConfig::default(),
        std::future::pending(),
    ));
    Channel::from_shared(url).unwrap().connect().await.unwrap()
}

macro_rules! one_stream_test {
    ($name:ident, $version:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
            use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;
            use tonic_reflection::pb::$version::ServerReflectionRequest;

            let ask = |question: MessageRequest| ServerReflectionRequest {
                host: String::new(),
                message_request: Some(question),
            };
            let questions = vec![
                ask(MessageRequest::FileContainingSymbol(
                    "no.such.Symbol".into(),
                )),
                ask(MessageRequest::FileContainingSymbol("x".repeat(1 << 20))),
                ask(MessageRequest::FileByFilename("no/such.proto".into())),
                ask(MessageRequest::ListServices(String::new())),
                ask(MessageRequest::FileContainingSymbol(
                    "fluidity.v1.FluidityService.Plan".into(),
                )),
            ];
            let mut client =
                ServerReflectionClient::new(server().await).max_decoding_message_size(8 << 20);
            let mut answers = client
                .server_reflection_info(tokio_stream::iter(questions))
                .await
                .unwrap()
                .into_inner();
            let mut got = Vec::new();
            while let Some(answer) = answers.message().await.expect("no error ends the stream") {
                got.push(answer.message_response.unwrap());
            }
            assert_eq!(got.len(), 5, "{got:?}");
            for (k, answer) in got[..3].iter().enumerate() {
                let MessageResponse::ErrorResponse(error) = answer else {
                    panic!("question {k}: {answer:?}")
                };
                assert_eq!(error.error_code, tonic::Code::NotFound as i32);
                assert!(
                    error.error_message.len() < 300,
                    "{} bytes",
                    error.error_message.len()
                );
            }
            let MessageResponse::ListServicesResponse(list) = &got[3] else {
                panic!("{:?}", got[3])
            };
            for service in [
                "fluidity.v1.FluidityService",
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ] {
                assert!(list.service.iter().any(|s| s.name == service), "{service}");
            }
            let MessageResponse::FileDescriptorResponse(files) = &got[4] else {
                panic!("{:?}", got[4])
            };
            assert!(!files.file_descriptor_proto.is_empty());
        }
    };
}

one_stream_test!(v1_answers_unknown_and_huge_names_in_stream_and_goes_on, v1);
one_stream_test!(
    v1alpha_answers_unknown_and_huge_names_in_stream_and_goes_on,
    v1alpha
);
