/** Handler implementation for every handler key in the route table. */
import type { HandlerName } from "../routes";
import { createTodo } from "./create-todo";
import { findName } from "./find-name";
import { getTodo } from "./get-todo";
import { health } from "./health";
import type { RouteHandler } from "./types";

export const HANDLERS: Readonly<Record<HandlerName, RouteHandler>> = { createTodo, getTodo, findName, health };
