/**
 * TLS to etcd: the CA that signed etcd's certificate, and this client's
 * certificate and key when etcd asks for one (`--client-cert-auth`). Given
 * as PEM text in the options, else read from the files that
 * `ZMP_ETCD_CA`, `ZMP_ETCD_CERT` and `ZMP_ETCD_KEY` name.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { readEnv } from "../_util/env.ts";
import type { EtcdEndpoint } from "./_endpoint.ts";

/**
 * TLS to etcd (`etcds://`): PEM text of each part. When given, it is the
 * whole of it: the `ZMP_ETCD_*` variables are not read.
 */
export interface EtcdTlsOptions {
  /**
   * The certificate(s) of the CA that signed etcd's server certificates.
   * @default {the system's roots (without options: the file named by `ZMP_ETCD_CA`)}
   */
  ca?: string;
  /**
   * This client's certificate (chain), for etcd's client-cert auth: with
   * etcd RBAC, its common name is the etcd user.
   * @default {none (without options: the file named by `ZMP_ETCD_CERT`)}
   */
  cert?: string;
  /**
   * The private key of `cert`.
   * @default {none (without options: the file named by `ZMP_ETCD_KEY`)}
   */
  key?: string;
  /**
   * The name etcd's certificate must carry (a DNS name of its subject
   * alternative names). Needed when a host is an IP address: Deno's TLS
   * sends no IP address as the server name.
   * @default {`ZMP_ETCD_SERVER_NAME`, else the host's name}
   */
  serverName?: string;
}

/** The environment variables of TLS to etcd, with what each names. */
export const ETCD_TLS_ENV = {
  ca: "ZMP_ETCD_CA",
  cert: "ZMP_ETCD_CERT",
  key: "ZMP_ETCD_KEY",
  serverName: "ZMP_ETCD_SERVER_NAME",
} as const;

/** What etcd3 takes. */
export interface EtcdCredentials {
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
}

/** The resolved TLS of a connection. */
export interface ResolvedEtcdTls {
  credentials: EtcdCredentials | undefined;
  serverName: string | undefined;
  /** Whether a client certificate is presented. */
  clientCert: boolean;
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])$/;

/**
 * The TLS of an `etcds://` connection, from the options, else the
 * environment.
 *
 * @param endpoint the parsed endpoint (TLS or not)
 * @param given the options' PEM text
 * @returns the credentials for etcd3, or `undefined` for plain `etcd://`
 * @throws {TypeError} for a file that cannot be read, a certificate
 *   without its key (or the reverse), TLS options on a plain `etcd://`
 *   endpoint, or an IP address host without a server name
 */
export async function resolveEtcdTls(
  endpoint: EtcdEndpoint,
  given: EtcdTlsOptions | undefined,
): Promise<ResolvedEtcdTls | undefined> {
  const what = `Cannot connect to etcd at ${endpoint.endpoint}`;
  if (!endpoint.tls) {
    if (given !== undefined) {
      throw new TypeError(
        `${what}: TLS options need an etcds:// endpoint, not etcd://`,
      );
    }
    return undefined;
  }
  const part = async (name: "ca" | "cert" | "key") => {
    const text = given?.[name];
    if (text !== undefined) {
      if (typeof text !== "string" || !text.includes("-----BEGIN")) {
        throw new TypeError(`${what}: tls.${name} must be PEM text`);
      }
      return Buffer.from(text);
    }
    if (given !== undefined) return undefined;
    const file = readEnv(ETCD_TLS_ENV[name]);
    if (file === undefined) return undefined;
    try {
      return Buffer.from(await Deno.readFile(file));
    } catch (e) {
      throw new TypeError(
        `${what}: cannot read ${ETCD_TLS_ENV[name]}=${file} (${
          (e as Error).message
        })`,
        { cause: e },
      );
    }
  };
  const ca = await part("ca");
  const cert = await part("cert");
  const key = await part("key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new TypeError(
      `${what}: a client certificate needs its key, and a key its certificate (${ETCD_TLS_ENV.cert} and ${ETCD_TLS_ENV.key})`,
    );
  }
  const serverName = given?.serverName ?? readEnv(ETCD_TLS_ENV.serverName);
  if (serverName === undefined) {
    const ip = endpoint.hosts.find((h) => IP.test(h.replace(/:\d+$/, "")));
    if (ip !== undefined) {
      throw new TypeError(
        `${what}: ${ip} is an IP address; give the DNS name etcd's certificate carries (tls.serverName or ${ETCD_TLS_ENV.serverName}), or name the host`,
      );
    }
  }
  const credentials = ca === undefined && cert === undefined ? undefined : {
    // grpc-js: null for the system's roots.
    rootCertificate: ca ?? (null as unknown as Buffer),
    ...(cert === undefined ? {} : { certChain: cert, privateKey: key }),
  };
  return { credentials, serverName, clientCert: cert !== undefined };
}
