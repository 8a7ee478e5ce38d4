// Injected by the bundle; from package.json when run from source.
declare const __KDRILL_VERSION__: string | undefined;
export const VERSION: string = typeof __KDRILL_VERSION__ === 'string' ? __KDRILL_VERSION__ : '0.0.0-dev';
