/** Mail errors. PermanentRejectionError lives in core (the case engine acts on it); re-exported here. */
import { BadInputError } from '../../core/errors.js';

export { PermanentRejectionError } from '../../core/errors.js';

/**
 * A header value or address would break out of its header (CR/LF) or is not a plain address.
 * Never sent: silently stripping could deliver to an address nobody configured.
 */
export class HeaderInjectionError extends BadInputError {
  readonly field: string;
  readonly value: string;
  constructor(field: string, value: string) {
    super(`refusing to send: the ${field} header value ${JSON.stringify(value)} is not a safe header value`, {
      hint: 'fix the address or text at its source (owners mapping, notify config); CR/LF and address lists are not allowed in one value',
    });
    this.field = field;
    this.value = value;
  }
}
