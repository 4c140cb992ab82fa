/**
 * VEX justifications (OpenVEX / CSAF names) plus `accepted_risk`, the reasons a suppression
 * rule may give. Dependency-free, so the dashboard bundles the same list the API validates.
 */
export const JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
  'accepted_risk',
] as const;

/** A VEX-style justification. */
export type Justification = (typeof JUSTIFICATIONS)[number];
