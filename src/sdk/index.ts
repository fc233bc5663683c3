/**
 * Wharf's SDK: what an app file imports (`import * as wharf from "wharf"`). It has no
 * dependencies and does no I/O at import; decorators only attach data that the runtime reads.
 */
export { App } from "./app.ts";
export { asgiApp, enter, exit, fastapiEndpoint, webEndpoint, webServer, wsgiApp } from "./decorators.ts";
export { HTTPException } from "./http-exception.ts";
export { isWharfError, WharfError } from "./errors.ts";
export type { HttpMethod } from "./spec.ts";
export type { StandardSchemaV1 } from "./standard-schema.ts";
export { upgradeWebSocket, type WSCloseEvent, type WSContext, type WSErrorEvent, type WSEvents, type WSHandlerContext, type WSMessageEvent, type WSMessageReceive, type WSMiddleware, type WSReadyState } from "./websocket.ts";
export type {
  Dependencies, EndpointContext, EndpointDecorator, FactoryDecorator, FastapiEndpointOptions, FetchApp,
  FunctionOptions, Handler, NodeApp, RequestContext, WebOptions, WebServerOptions,
} from "./types.ts";
