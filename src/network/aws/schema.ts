/**
 * zod schemas for the AWS CLI outputs the AWS importer reads (`aws ec2 describe-…` and
 * `aws elbv2 describe-…`, JSON output). Only the fields the analysis uses are declared;
 * everything else the CLI prints is accepted and ignored, as are fields a newer CLI adds.
 */
import { z } from 'zod';

const list = <T extends z.ZodType>(item: T) => z.array(item).nullish().transform((v) => v ?? []);
const groupRef = z.object({ GroupId: z.string() });

/** `aws ec2 describe-instances` */
export const describeInstances = z.object({
  Reservations: list(
    z.object({
      Instances: list(
        z.object({
          InstanceId: z.string(),
          State: z.object({ Name: z.string() }).optional(),
          SubnetId: z.string().nullish(),
          PrivateIpAddress: z.string().nullish(),
          PublicIpAddress: z.string().nullish(),
          SecurityGroups: list(groupRef),
          NetworkInterfaces: list(
            z.object({
              NetworkInterfaceId: z.string(),
              SubnetId: z.string(),
              Association: z.object({ PublicIp: z.string().nullish() }).nullish(),
              PrivateIpAddresses: list(z.object({ PrivateIpAddress: z.string(), Association: z.object({ PublicIp: z.string().nullish() }).nullish() })),
              PrivateIpAddress: z.string().nullish(),
              Ipv6Addresses: list(z.object({ Ipv6Address: z.string() })),
              Groups: list(groupRef),
            }),
          ),
        }),
      ),
    }),
  ),
});

/** `aws ec2 describe-security-groups` */
export const describeSecurityGroups = z.object({
  SecurityGroups: list(
    z.object({
      GroupId: z.string(),
      IpPermissions: list(
        z.object({
          IpProtocol: z.string(),
          FromPort: z.number().int().nullish(),
          ToPort: z.number().int().nullish(),
          IpRanges: list(z.object({ CidrIp: z.string() })),
          Ipv6Ranges: list(z.object({ CidrIpv6: z.string() })),
          UserIdGroupPairs: list(z.object({ GroupId: z.string().nullish() })),
          PrefixListIds: list(z.object({ PrefixListId: z.string() })),
        }),
      ),
    }),
  ),
});

/** `aws ec2 describe-subnets` */
export const describeSubnets = z.object({
  Subnets: list(
    z.object({
      SubnetId: z.string(),
      VpcId: z.string(),
      CidrBlock: z.string().nullish(),
      Ipv6CidrBlockAssociationSet: list(z.object({ Ipv6CidrBlock: z.string() })),
    }),
  ),
});

/** `aws ec2 describe-route-tables` */
export const describeRouteTables = z.object({
  RouteTables: list(
    z.object({
      RouteTableId: z.string(),
      VpcId: z.string(),
      Associations: list(z.object({ Main: z.boolean().nullish(), SubnetId: z.string().nullish() })),
      Routes: list(
        z.object({
          DestinationCidrBlock: z.string().nullish(),
          DestinationIpv6CidrBlock: z.string().nullish(),
          DestinationPrefixListId: z.string().nullish(),
          GatewayId: z.string().nullish(),
          NatGatewayId: z.string().nullish(),
          EgressOnlyInternetGatewayId: z.string().nullish(),
          InstanceId: z.string().nullish(),
          NetworkInterfaceId: z.string().nullish(),
          TransitGatewayId: z.string().nullish(),
          VpcPeeringConnectionId: z.string().nullish(),
          State: z.string().nullish(),
        }),
      ),
    }),
  ),
});

/** `aws ec2 describe-network-acls` */
export const describeNetworkAcls = z.object({
  NetworkAcls: list(
    z.object({
      NetworkAclId: z.string(),
      VpcId: z.string(),
      IsDefault: z.boolean().nullish(),
      Associations: list(z.object({ SubnetId: z.string() })),
      Entries: list(
        z.object({
          RuleNumber: z.number().int(),
          Protocol: z.string(),
          RuleAction: z.enum(['allow', 'deny']),
          Egress: z.boolean(),
          CidrBlock: z.string().nullish(),
          Ipv6CidrBlock: z.string().nullish(),
          PortRange: z.object({ From: z.number().int(), To: z.number().int() }).nullish(),
        }),
      ),
    }),
  ),
});

/** `aws ec2 describe-internet-gateways` */
export const describeInternetGateways = z.object({
  InternetGateways: list(z.object({ InternetGatewayId: z.string(), Attachments: list(z.object({ VpcId: z.string(), State: z.string().nullish() })) })),
});

/** `aws ec2 describe-nat-gateways` */
export const describeNatGateways = z.object({
  NatGateways: list(z.object({ NatGatewayId: z.string(), VpcId: z.string().nullish() })),
});

/** `aws elbv2 describe-load-balancers` */
export const describeLoadBalancers = z.object({
  LoadBalancers: list(
    z.object({
      LoadBalancerArn: z.string(),
      DNSName: z.string().nullish(),
      Scheme: z.string(),
      VpcId: z.string(),
      Type: z.string(),
      AvailabilityZones: list(z.object({ SubnetId: z.string().nullish() })),
      SecurityGroups: list(z.string()),
      IpAddressType: z.string().nullish(),
    }),
  ),
});

/** `aws elbv2 describe-listeners` */
export const describeListeners = z.object({
  Listeners: list(
    z.object({
      LoadBalancerArn: z.string(),
      Port: z.number().int().nullish(),
      Protocol: z.string().nullish(),
      DefaultActions: list(
        z.object({
          Type: z.string(),
          TargetGroupArn: z.string().nullish(),
          ForwardConfig: z.object({ TargetGroups: list(z.object({ TargetGroupArn: z.string() })) }).nullish(),
        }),
      ),
    }),
  ),
});

/** `aws elbv2 describe-target-groups` */
export const describeTargetGroups = z.object({
  TargetGroups: list(
    z.object({
      TargetGroupArn: z.string(),
      TargetGroupName: z.string(),
      Port: z.number().int().nullish(),
      TargetType: z.string().nullish(),
    }),
  ),
});

/** `aws elbv2 describe-target-health` (for one target group) */
export const describeTargetHealth = z.object({
  TargetHealthDescriptions: list(
    z.object({
      Target: z.object({ Id: z.string(), Port: z.number().int().nullish() }),
      TargetHealth: z.object({ State: z.string().nullish() }).nullish(),
    }),
  ),
});
