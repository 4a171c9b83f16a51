// One error handler: bad input is a 4xx with a message, an unreachable store a 503, only bugs are 500.
import type { FastifyError, FastifyInstance } from 'fastify';
import { isLeakwatchError } from '#shared/errors.js';

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      return reply.code(400).send({ error: 'LW_ERR_API_BAD_REQUEST', message: err.message });
    }
    if (isLeakwatchError(err)) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'unhandled error');
    return reply.code(status).send({
      error: err.code ?? (status === 500 ? 'LW_ERR_INTERNAL' : 'LW_ERR_API_BAD_REQUEST'),
      message: status === 500 ? 'internal error' : err.message,
    });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: 'LW_ERR_API_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]} not found` });
  });
}
