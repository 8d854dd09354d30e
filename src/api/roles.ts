/**
 * Roles and what they may do. One table, read by every route's guard and by the authorisation
 * matrix test: admin (users, settings, everything), analyst (scan, notify, edit cases, read,
 * export), viewer (read, export). Export is reading, but every export is written to the audit log.
 */
export const ROLES = ['admin', 'analyst', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = ['read', 'export', 'scan', 'notify', 'cases', 'users', 'audit'] as const;
export type Permission = (typeof PERMISSIONS)[number];

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  analyst: new Set<Permission>(['read', 'export', 'scan', 'notify', 'cases']),
  viewer: new Set<Permission>(['read', 'export']),
};

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function allows(role: Role, perm: Permission): boolean {
  return GRANTS[role].has(perm);
}
